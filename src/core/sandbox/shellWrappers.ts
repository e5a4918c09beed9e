import type { ShellWord } from './shellScript';

/**
 * Programs that run another program named in their arguments (exec wrappers). The command policy
 * looks through them, layer after layer, so `allowed_commands`, `denied_commands`, the dangerous list
 * and the interpreter and shell rules judge the program that really runs (`taskset -c 1 nice -n 5
 * timeout -s KILL 9 curl …` is `curl`). Each spec says which options take an argument, so an option's
 * argument is never mistaken for the program, and what runs when the wrapper is given a shell
 * command line (`flock -c`, `su -c`, `watch`) or no command at all (`unshare` starts a shell).
 */
export interface WrapperSpec {
  /** Short option letters that take an argument (`-n 5` or `-n5`). */
  readonly shortArg?: string;
  /** Short option letters whose optional argument can only be attached (`-m[file]`). */
  readonly shortOptional?: string;
  /** Short option letters without an argument (others are unknown: the reading is then uncertain). */
  readonly shortFlags?: string;
  /** Long options that take an argument (`--name value` or `--name=value`); others take none or `=value`. */
  readonly longArg?: readonly string[];
  /** Non-option words before the command: timeout's duration, taskset's mask, chrt's priority, flock's file, chroot's root. */
  readonly positionals?: number;
  /** Without a command it starts an interactive shell that reads its commands from stdin. */
  readonly shellWithoutCommand?: boolean;
  /** Options whose argument is a shell command line (`flock -c`, `su -c`, `script -c`, `env -S`). */
  readonly shellStringOptions?: readonly string[];
  /** Options after which it runs no command at all (`command -v`, `taskset -p`). */
  readonly noCommandOptions?: readonly string[];
  /** Options that make the command words one shell command line (`sudo -s cmd`). */
  readonly shellOptions?: readonly string[];
  /** `NAME=VALUE` words before the command set its environment (`env`, `sudo`). */
  readonly envAssignments?: boolean;
  /** The command words are joined into one shell command line (`watch`, `sg`, `parallel`); `joinUnless` turns it off. */
  readonly joinsAsShell?: boolean;
  readonly joinUnless?: readonly string[];
  /** The command's arguments (or its text) come from the wrapper's stdin (`xargs`, `parallel`). */
  readonly argsFromStdin?: boolean;
  /** It never runs a program from its arguments: it only takes a script (`eval`, `source`, `trap`). */
  readonly scriptOnly?: boolean;
  /** The command runs as a service or in a session that outlives the call (`systemd-run`, `at`). */
  readonly detaches?: boolean;
}

const W = (spec: WrapperSpec): WrapperSpec => spec;

export const WRAPPERS: Readonly<Record<string, WrapperSpec>> = {
  nice: W({ shortArg: 'n', longArg: ['--adjustment'] }),
  ionice: W({ shortArg: 'cnpPu', shortFlags: 'th', longArg: ['--class', '--classdata', '--pid', '--pgid', '--uid'], noCommandOptions: ['-p', '-P', '-u', '--pid', '--pgid', '--uid'] }),
  timeout: W({ shortArg: 'sk', shortFlags: 'fpv', longArg: ['--signal', '--kill-after'], positionals: 1 }),
  stdbuf: W({ shortArg: 'ioe', longArg: ['--input', '--output', '--error'] }),
  chrt: W({ shortArg: 'TPD', shortFlags: 'abdfiorRmvh', longArg: ['--sched-runtime', '--sched-period', '--sched-deadline'], positionals: 1, noCommandOptions: ['-p', '--pid', '-m', '--max'] }),
  taskset: W({ shortFlags: 'acphV', positionals: 1, noCommandOptions: ['-p', '--pid'] }),
  setpriv: W({
    shortFlags: 'dh',
    longArg: ['--reuid', '--regid', '--ruid', '--euid', '--rgid', '--egid', '--groups', '--inh-caps', '--ambient-caps', '--bounding-set', '--securebits', '--pdeathsig', '--selinux-label', '--apparmor-profile', '--landlock-access', '--landlock-rule', '--seccomp-filter'],
    noCommandOptions: ['-d', '--dump'],
  }),
  prlimit: W({ shortArg: 'po', shortOptional: 'cdefilmnqrstuvxy', longArg: ['--pid', '--output'], noCommandOptions: ['-p', '--pid'] }),
  unshare: W({
    shortArg: 'SGRwCl',
    shortOptional: 'mupinUCT',
    shortFlags: 'frcah',
    longArg: ['--setuid', '--setgid', '--root', '--wd', '--propagation', '--setgroups', '--map-user', '--map-group', '--map-users', '--map-groups', '--monotonic', '--boottime', '--load-interp'],
    shellWithoutCommand: true,
  }),
  nsenter: W({ shortArg: 'tSG', shortOptional: 'mutinpUCTrw', shortFlags: 'aeFZh', longArg: ['--target', '--setuid', '--setgid'], shellWithoutCommand: true }),
  flock: W({ shortArg: 'wE', shortFlags: 'sxunoFh', longArg: ['--timeout', '--wait', '--conflict-exit-code'], positionals: 1, shellStringOptions: ['-c', '--command'] }),
  watch: W({ shortArg: 'nq', shortOptional: 'd', shortFlags: 'btegcxpwhv', longArg: ['--interval'], joinsAsShell: true, joinUnless: ['-x', '--exec'] }),
  env: W({ shortArg: 'uCP', shortFlags: 'i0v', longArg: ['--unset', '--chdir'], envAssignments: true, shellStringOptions: ['-S', '--split-string'] }),
  command: W({ shortFlags: 'p', noCommandOptions: ['-v', '-V'] }),
  exec: W({ shortArg: 'a', shortFlags: 'cl' }),
  builtin: W({}),
  time: W({ shortArg: 'fo', shortFlags: 'apqv', longArg: ['--format', '--output'] }),
  nohup: W({}),
  setsid: W({ shortFlags: 'cfw' }),
  xargs: W({
    shortArg: 'IadEsnLP',
    shortOptional: 'iel',
    shortFlags: '0rtpxo',
    longArg: ['--arg-file', '--delimiter', '--eof', '--replace', '--max-lines', '--max-args', '--max-procs', '--max-chars', '--process-slot-var'],
    argsFromStdin: true,
  }),
  parallel: W({ shortArg: 'jSaIdEn', shortFlags: 'kqvu0', longArg: ['--jobs', '--sshlogin', '--arg-file', '--delimiter', '--max-args', '--workdir', '--tmpdir', '--results', '--joblog'], joinsAsShell: true, argsFromStdin: true }),
  sudo: W({
    shortArg: 'ugCDhprtTU',
    shortFlags: 'AbEHknPSB',
    longArg: ['--user', '--group', '--close-from', '--chdir', '--host', '--prompt', '--role', '--type', '--command-timeout', '--other-user'],
    // `-e`/`--edit` is sudoedit: an editor on files, no command.
    noCommandOptions: ['-v', '-V', '-K', '-l', '-e', '--list', '--validate', '--version', '--remove-timestamp', '--edit'],
    shellOptions: ['-s', '-i', '--shell', '--login'],
    envAssignments: true,
  }),
  doas: W({ shortArg: 'uC', shortFlags: 'nL', shellOptions: ['-s'], noCommandOptions: ['-C', '-L'] }),
  su: W({ shortArg: 'gGsw', shortFlags: 'lmpPfh', longArg: ['--group', '--supp-group', '--shell', '--whitelist-environment'], shellStringOptions: ['-c', '--command', '--session-command'], shellWithoutCommand: true, positionals: Infinity }),
  runuser: W({ shortArg: 'ugGsw', shortFlags: 'lmpPfh', longArg: ['--user', '--group', '--supp-group', '--shell', '--whitelist-environment'], shellStringOptions: ['-c', '--command', '--session-command'] }),
  chroot: W({ longArg: ['--userspec', '--groups'], positionals: 1, shellWithoutCommand: true }),
  script: W({ shortArg: 'OIBTE', shortOptional: 't', shortFlags: 'aefqmh', longArg: ['--log-out', '--log-in', '--log-io', '--log-timing', '--echo', '--logging-format', '--output-limit'], shellStringOptions: ['-c', '--command'], shellWithoutCommand: true, positionals: Infinity }),
  strace: W({ shortArg: 'oeEpPsuaXbIOS', shortFlags: 'cCdDfFhiqrtTvVwxyzZk', noCommandOptions: ['-p', '--attach'] }),
  ltrace: W({ shortArg: 'aAeEnoOpsuxXlLF', shortFlags: 'bcCdfhiStTVw', noCommandOptions: ['-p'] }),
  unbuffer: W({ shortFlags: 'p' }),
  busybox: W({ noCommandOptions: ['--list', '--list-full', '--install', '--help'] }),
  caffeinate: W({ shortArg: 'tw', shortFlags: 'dimsu' }),
  sshpass: W({ shortArg: 'pfdP', shortFlags: 'ev' }),
  fakeroot: W({ shortArg: 'lsib', shortFlags: 'uh', longArg: ['--lib', '--faked'] }),
  proxychains: W({ shortArg: 'f', shortFlags: 'q' }),
  proxychains4: W({ shortArg: 'f', shortFlags: 'q' }),
  torsocks: W({ shortArg: 'uapP', shortFlags: 'diq', longArg: ['--user', '--pass', '--address', '--port'] }),
  pkexec: W({ longArg: ['--user'] }),
  sg: W({ positionals: 1, joinsAsShell: true, shortFlags: 'c' }),
  'dbus-run-session': W({ longArg: ['--config-file', '--dbus-daemon'] }),
  'xvfb-run': W({ shortArg: 'nsefpw', shortFlags: 'ah', longArg: ['--server-num', '--server-args', '--error-file', '--auth-file', '--xauth-protocol', '--wait'] }),
  'ssh-agent': W({ shortArg: 'aEtOP', shortFlags: 'cdDsk' }),
  cgexec: W({ shortArg: 'g', longArg: ['--sticky'] }),
  numactl: W({ shortArg: 'NmCpPibw', shortFlags: 'alsH', longArg: ['--cpunodebind', '--membind', '--physcpubind', '--preferred', '--interleave', '--localalloc'] }),
  valgrind: W({}),
  catchsegv: W({}),
  firejail: W({}),
  'systemd-run': W({ shortArg: 'pMEu', shortFlags: 'tPGqrSd', longArg: ['--unit', '--property', '--description', '--slice', '--setenv', '--working-directory', '--machine', '--uid', '--gid', '--nice', '--on-calendar', '--on-active'], detaches: true }),
  eval: W({ scriptOnly: true }),
  source: W({ scriptOnly: true }),
  '.': W({ scriptOnly: true }),
  trap: W({ scriptOnly: true }),
};

/** What a wrapper runs, once its options and leading words are read. */
export type Unwrapped =
  /** `words[0]` is the next program (it may itself be a wrapper); `env`: the NAME=VALUE words it sets. */
  | { readonly kind: 'command'; readonly words: ShellWord[]; readonly uncertain: boolean; readonly env: readonly ShellWord[] }
  /** A shell command line: the text of `-c`, or the command words joined (null when computed). */
  | { readonly kind: 'shell_string'; readonly script: string | null; readonly raw: string; readonly uncertain: boolean }
  /** An interactive shell reading its commands from stdin. */
  | { readonly kind: 'default_shell' }
  /** It runs nothing (`command -v x`, `taskset -p 1`). */
  | { readonly kind: 'none' };

/**
 * Reads a wrapper's options. An option the spec does not know (or a computed word where an option
 * could be) makes the reading `uncertain`: the caller then also judges every later word as a
 * possible program name.
 */
export function unwrap(spec: WrapperSpec, args: readonly ShellWord[]): Unwrapped {
  let i = 0;
  let uncertain = false;
  let shellString: ShellWord | undefined;
  let viaShell = false;
  let noJoin = false;
  const env: ShellWord[] = [];
  const positionalsWanted = spec.positionals ?? 0;
  let positionals = 0;
  const takes = (letter: string) => (spec.shortArg ?? '').includes(letter);
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) break; // computed: judged by the caller as a computed program name
    if (v === '--') {
      i++;
      break;
    }
    // env takes any NAME=VALUE (`BASH_FUNC_ls%%=() { …; }` too); a name never holds `/` or `=`.
    if (spec.envAssignments === true && /^[^=/-][^=/]*=/.test(v)) {
      env.push(arg);
      continue;
    }
    if (v.startsWith('--') && v.length > 2) {
      const [name, inline] = v.includes('=') ? [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)] : [v, undefined];
      if (spec.noCommandOptions?.includes(name)) return { kind: 'none' };
      if (spec.shellOptions?.includes(name)) viaShell = true;
      if (spec.joinUnless?.includes(name)) noJoin = true;
      if (spec.shellStringOptions?.includes(name)) {
        shellString = inline !== undefined ? { raw: inline, value: inline, expands: false, tilde: false } : args[++i];
        continue;
      }
      if (spec.longArg?.includes(name) && inline === undefined) i++;
      else if (!spec.longArg?.includes(name) && inline === undefined && !/^--[a-z-]+$/.test(name)) uncertain = true;
      continue;
    }
    // `flock FILE -c CMD`: the command-line option may follow the positional words.
    if (positionals > 0 && positionals >= positionalsWanted && spec.shellStringOptions?.includes(v)) {
      shellString = args[i + 1];
      i += 2;
      break;
    }
    // Options come before the positional words; once those are read, the next word is the program.
    if (v.startsWith('-') && v.length > 1 && !(positionals > 0 && positionals >= positionalsWanted)) {
      if (/^-[0-9]+$/.test(v)) continue; // `nice -10`
      for (let k = 1; k < v.length; k++) {
        const letter = v.charAt(k);
        const opt = `-${letter}`;
        if (spec.noCommandOptions?.includes(opt)) return { kind: 'none' };
        if (spec.shellOptions?.includes(opt)) viaShell = true;
        if (spec.joinUnless?.includes(opt)) noJoin = true;
        if (spec.shellStringOptions?.includes(opt)) {
          const rest = v.slice(k + 1);
          shellString = rest.length > 0 ? { raw: rest, value: rest, expands: false, tilde: false } : args[++i];
          break;
        }
        if (takes(letter)) {
          if (k === v.length - 1) i++; // the argument is the next word
          break; // or the rest of this word
        }
        if ((spec.shortOptional ?? '').includes(letter)) break;
        if (!(spec.shortFlags ?? '').includes(letter)) uncertain = true;
      }
      continue;
    }
    if (positionals < positionalsWanted) {
      positionals++;
      continue;
    }
    break;
  }
  const rest = args.slice(i);
  if (shellString !== undefined) {
    // `env -S 'a b' c` runs `a b c`: the words after the string belong to the same command line.
    const words = [shellString, ...rest];
    const literal = words.every((w) => w.value !== null);
    return { kind: 'shell_string', script: literal ? words.map((w) => w.value).join(' ') : null, raw: words.map((w) => w.raw).join(' '), uncertain };
  }
  if (rest.length === 0) return spec.shellWithoutCommand === true || viaShell ? { kind: 'default_shell' } : { kind: 'none' };
  if (viaShell || (spec.joinsAsShell === true && !noJoin)) {
    const literal = rest.every((w) => w.value !== null);
    return { kind: 'shell_string', script: literal ? rest.map((w) => w.value).join(' ') : null, raw: rest.map((w) => w.raw).join(' '), uncertain };
  }
  return { kind: 'command', words: [...rest], uncertain, env };
}
