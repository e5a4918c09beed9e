import type { SandboxProfile } from './sandboxProfile';

const PROC_READ_ONLY = ['/proc/sysrq-trigger', '/proc/irq', '/proc/bus', '/proc/fs', '/proc/acpi'];
const depth = (p: string) => p.split('/').filter(Boolean).length;
const byDepth = <T>(items: readonly T[], pathOf: (t: T) => string) => [...items].sort((a, b) => depth(pathOf(a)) - depth(pathOf(b)));

/**
 * bubblewrap arguments for a profile, then `--` and the program. bwrap starts from an empty root
 * (a tmpfs), so only what is mounted here exists; mounts are made in order, and a later mount at or
 * below an earlier one wins, so the order is: system folders, fresh /proc and /dev, private scratch
 * folders, read-only extras and the writable workspace folders (shallowest first), protected paths
 * read-only, sockets, and last what must stay hidden.
 *
 * Namespaces: a new user (where bwrap is not setuid), PID, network, IPC, UTS and cgroup namespace. In the
 * PID namespace bwrap's own init is PID 1 and exits with the command, and the kernel then kills every
 * process left in it (`sleep 100 &`, `setsid`, `nohup`, a double fork); `--die-with-parent` ties the whole
 * namespace to the process that started bwrap, so SIGKILL of the CLI ends it too. `--new-session` takes
 * the terminal away (no TIOCSTI injection). No capabilities are left, even when root starts it.
 */
export function bwrapArgs(profile: SandboxProfile, argv: readonly string[], options: { readonly root?: boolean } = {}): string[] {
  /** Started by uid 0: files in /proc are root's, so their mode bits would let the command write them. */
  const root = options.root ?? process.getuid?.() === 0;
  const args = [
    '--die-with-parent',
    '--new-session',
    // A user namespace is what lets an ordinary user make the others; root needs none (saves ~1 ms).
    ...(root ? [] : ['--unshare-user-try']),
    '--unshare-pid',
    '--unshare-net',
    '--unshare-ipc',
    '--unshare-uts',
    '--unshare-cgroup-try',
    '--hostname',
    'breakwater-sandbox',
    // bwrap keeps every capability when started by root (CI containers, root shells): drop them all, or
    // the command could simply unmount the masks over secrets.
    '--cap-drop',
    'ALL',
  ];
  for (const l of profile.links) args.push('--symlink', l.target, l.path);
  const top = new Set(profile.links.map((l) => l.path));
  const binds: { path: string; flag: string }[] = [
    ...profile.readable.map((p) => ({ path: p, flag: '--ro-bind-try' })),
    ...profile.writable.map((p) => ({ path: p, flag: '--bind' })),
  ].filter((b) => !top.has(b.path));
  // Without capabilities, uid 0 can still write root-owned files in /proc by their mode bits: kernel
  // settings (/proc/sys: core_pattern would run a program as host root), sysrq, IRQ affinity. Read-only.
  args.push('--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys');
  if (root) for (const p of PROC_READ_ONLY) args.push('--ro-bind-try', p, p);
  args.push('--dev', '/dev');
  for (const s of byDepth(profile.scratch, (p) => p)) args.push('--tmpfs', s);
  for (const b of byDepth(binds, (x) => x.path)) args.push(b.flag, b.path, b.path);
  // Protected paths: an existing one that vanished since the scan makes bwrap fail (closed), not create it.
  for (const p of byDepth(profile.readOnly, (x) => x)) args.push('--ro-bind', p, p);
  for (const s of profile.sockets) args.push('--bind', s.host, s.inside);
  const hidden = [...profile.hiddenDirs.map((p) => ({ p, dir: true })), ...profile.hiddenFiles.map((p) => ({ p, dir: false }))];
  for (const { p, dir } of byDepth(hidden, (x) => x.p)) {
    if (dir) args.push('--tmpfs', p, '--remount-ro', p);
    else args.push('--ro-bind', '/dev/null', p);
  }
  args.push('--chdir', profile.cwd, '--', ...argv);
  return args;
}
