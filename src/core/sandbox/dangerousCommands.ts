import * as path from 'node:path';
import type { ShellFunction, ShellScript, ShellWord } from './shellScript';

/**
 * Hard blocks that no approval lifts. They are checked on the raw
 * text (so quoting cannot hide them) and, more precisely, on each parsed command
 * (so `rm -r -f /`, `rm -rf ~/.`, `rm -rf /tmp/../` and `/sbin/mkfs.ext4` are caught too).
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
  // Piping to a shell. `\b` after the shell name so `| shuf` and `| sha256sum` still run.
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
/** Every program name the rules below treat as dangerous, for judging a globbed or computed name. */
export const DANGEROUS_NAMES: readonly string[] = ['rm', 'chmod', 'chown', 'chgrp', 'dd', 'find', 'mkfs', 'mkfs.ext4', 'mkfs.xfs', 'mkfs.vfat', 'mke2fs', 'fdisk', 'sfdisk', 'cfdisk', 'gdisk', 'parted', 'wipefs', 'mkswap', 'shred'];
/** Where a computed or empty home would point: the placeholder keeps `~/..` distinct from `/`. */
const HOME = '/home/\u0000user';
const HARMLESS_DEVICES = /^\/dev\/(null|zero|stdout|stderr|tty|random|urandom|fd\/[0-9]+)$/;

/** Why one parsed command is a hard block, or undefined. `name` is the program's base name. */
export function dangerousCommandReason(name: string, args: readonly ShellWord[]): string | undefined {
  const values = args.map((a) => a.value ?? a.raw);
  if (DISK_TOOLS.test(name)) return `dangerous command: ${name} formats or rewrites disks`;
  if (name === 'dd' && values.some((v) => /^of=\/dev\//.test(v) && !HARMLESS_DEVICES.test(v.slice(3)))) return 'dangerous command: dd writing to a device';
  if (name === 'rm' || name === 'chmod' || name === 'chown' || name === 'chgrp') {
    const { flags, operands } = splitOptions(args);
    if (name === 'rm' && flags.includes('--no-preserve-root')) return 'dangerous command: rm --no-preserve-root';
    const recursive = flags.some((f) => f === '--recursive' || /^-[a-zA-Z]*[rR]/.test(f));
    // chmod/chown take the mode or owner first.
    const targets = name === 'rm' ? operands : operands.slice(1);
    const hit = recursive ? targets.map(wideTarget).find((r) => r !== undefined) : undefined;
    if (hit !== undefined) return `dangerous command: recursive ${name} of ${hit}`;
  }
  if (name === 'find') {
    const starts: ShellWord[] = [];
    for (const a of args) {
      if (a.value !== null && (a.value.startsWith('-') || a.value === '(' || a.value === '!')) break;
      starts.push(a);
    }
    const destroys = values.some((v) => v === '-delete') || values.some((v, i) => (v === '-exec' || v === '-execdir') && /(^|\/)(rm|shred)$/.test(values[i + 1] ?? ''));
    const hit = destroys ? starts.map(wideTarget).find((r) => r !== undefined) : undefined;
    if (hit !== undefined) return `dangerous command: find deleting from ${hit}`;
  }
  return undefined;
}

/** Options (up to `--`) and operands of a command's arguments. */
function splitOptions(args: readonly ShellWord[]): { flags: string[]; operands: ShellWord[] } {
  const flags: string[] = [];
  const operands: ShellWord[] = [];
  let ended = false;
  for (const a of args) {
    const v = a.value;
    if (!ended && v === '--') ended = true;
    else if (!ended && v !== null && v.startsWith('-') && v.length > 1) flags.push(v);
    else operands.push(a);
  }
  return { flags, operands };
}

/**
 * What a target of a recursive removal means when it is `/`, a top-level folder, the home folder or
 * a folder above the working one — after `..`, `//` and `/./` are normalised, `~` and `$HOME` put in,
 * and any other variable taken as empty (as it is when unset: `rm -rf "$DIR"/*` with no DIR is
 * `rm -rf /*`). `${X:?…}` cannot be empty (bash stops), so it counts as a name.
 */
function wideTarget(word: ShellWord): string | undefined {
  let text: string;
  if (word.value !== null) {
    text = word.tilde ? word.value.replace(/^~[^/]*/, HOME) : word.value;
  } else {
    text = word.raw
      .replace(/^["']?(\$HOME|\$\{HOME\})/, HOME)
      .replace(/^~[^/"']*/, HOME)
      .replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:\?[^}]*\}/g, 'set')
      .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]|\$\([^)]*\)|`[^`]*`/g, '')
      .replace(/["'\\]/g, '');
  }
  if (text === '') return undefined;
  const normal = path.posix.normalize(text).replace(/\/+$/, '') || '/';
  const shown = word.raw;
  if (normal === '/') return `${shown} (the root folder)`;
  if (/^\/[*?]+$/.test(normal) || /^\/\.[*?]+$/.test(normal)) return `${shown} (everything in the root folder)`;
  if (/^(\.\.\/)*\.\.(\/[*?]+)?$/.test(normal)) return `${shown} (a folder above the working folder)`;
  if (normal.startsWith(HOME)) {
    const rest = normal.slice(HOME.length);
    if (rest === '' || /^\/[^/]*[*?[][^/]*$/.test(rest) || /^\/\.[*]?$/.test(rest)) return `${shown} (the home folder)`;
    return undefined;
  }
  if (normal.startsWith('/') && normal.split('/').length <= 2) return `${shown} (a top-level folder of the system)`;
  return undefined;
}

/**
 * Fork bombs of any name and spacing: a function that calls itself (directly or through other
 * functions) where at least one call on the cycle starts another process (a pipeline, `&`, a
 * subshell or a substitution). A recursive function that only calls itself in sequence is left alone.
 */
export function forkBombReason(script: ShellScript): string | undefined {
  // bash looks a name up when it runs: the declaration that started last before the call is the one
  // meant, or (a function calling one declared after it) the first one declared later.
  const resolve = (name: string, at: number) => {
    const named = script.functions.filter((f) => f.name === name);
    return named.filter((f) => f.at < at).at(-1) ?? named.find((f) => f.at > at);
  };
  const edges: { from: ShellFunction; to: ShellFunction; forks: boolean }[] = [];
  for (const c of script.commands) {
    const caller = c.functions.at(-1);
    const name = c.words[0]?.value;
    const callee = name == null ? undefined : resolve(name, c.at);
    if (caller !== undefined && callee !== undefined) edges.push({ from: caller, to: callee, forks: c.forks });
  }
  const reaches = (from: ShellFunction, to: ShellFunction): boolean => {
    const seen = new Set<number>();
    const stack = [from];
    while (stack.length > 0) {
      const at = stack.pop() as ShellFunction;
      if (at.at === to.at) return true;
      if (seen.has(at.at)) continue;
      seen.add(at.at);
      for (const e of edges) if (e.from.at === at.at) stack.push(e.to);
    }
    return false;
  };
  const bomb = edges.find((e) => e.forks && reaches(e.to, e.from));
  return bomb === undefined ? undefined : `dangerous command: a fork bomb (function ${bomb.from.name} starts ${bomb.to.name} in new processes, which starts ${bomb.from.name} again)`;
}
