import type { ShellWord } from './shellScript';

/**
 * Seed 001's SecurityValidator lists: hard blocks that no approval lifts. They are checked on the raw
 * text (as the seed does, so quoting cannot hide them) and, more precisely, on each parsed command
 * (so `rm -r -f /` and `/sbin/mkfs.ext4` are caught too).
 */
export const DANGEROUS_COMMANDS: readonly string[] = [
  'rm -rf /', 'rm -rf /*', ':(){ :|:& };:',
  'dd if=', 'mkfs', 'fdisk', '> /dev/sd',
  'chmod -R 777 /', 'chown -R', 'curl | sh',
  'wget | sh', 'curl | bash', 'wget | bash',
];

export const DANGEROUS_PATTERNS: readonly RegExp[] = [
  /rm\s+-rf\s+\/(?!\w)/i, // rm -rf / (but not /home)
  />\s*\/dev\/sd[a-z]/i, // write to devices
  /mkfs\./i, // format disks
  /dd\s+if=.+of=\/dev/i, // dd to devices
  // Piping to a shell. `\b` added to the seed's pattern so `| shuf` and `| sha256sum` still run.
  /\|\s*(?:ba)?sh\b/i,
  /;\s*rm\s+-rf/i, // command injection with rm
];

/** Why the raw text is a hard block, or undefined. */
export function dangerousTextReason(command: string): string | undefined {
  for (const dangerous of DANGEROUS_COMMANDS) {
    if (command.includes(dangerous)) return `dangerous command: ${dangerous}`;
  }
  for (const pattern of DANGEROUS_PATTERNS) {
    if (pattern.test(command)) return `dangerous pattern: ${pattern.source}`;
  }
  return undefined;
}

const DISK_TOOLS = /^(mkfs(\..*)?|mke2fs|fdisk|sfdisk|cfdisk|gdisk|parted|wipefs|mkswap|shred)$/;

/** Why one parsed command is a hard block, or undefined. `name` is the program's base name. */
export function dangerousCommandReason(name: string, args: readonly ShellWord[]): string | undefined {
  const values = args.map((a) => a.value ?? a.raw);
  if (DISK_TOOLS.test(name)) return `dangerous command: ${name} formats or rewrites disks`;
  if (name === 'dd' && values.some((v) => /^of=\/dev\/(?!null$)/.test(v))) return 'dangerous command: dd writing to a device';
  if (name === 'rm') {
    const flags = values.filter((v) => v.startsWith('-')).join('');
    const recursive = /r|R|--recursive/.test(flags);
    const targets = values.filter((v) => !v.startsWith('-'));
    if (values.includes('--no-preserve-root')) return 'dangerous command: rm --no-preserve-root';
    if (recursive && targets.some((t) => /^\/+\*?$/.test(t) || /^~\/?\*?$/.test(t))) return 'dangerous command: recursive rm of / or the home folder';
  }
  if ((name === 'chmod' || name === 'chown') && values.some((v) => /^-.*R/.test(v)) && values.some((v) => /^\/+\*?$/.test(v))) {
    return `dangerous command: recursive ${name} of /`;
  }
  return undefined;
}
