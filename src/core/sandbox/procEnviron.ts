import type { ShellWord } from './shellScript';

/**
 * Commands that read a process's environment (where API keys and tokens live) ask every time:
 * `/proc/<pid>/environ` however it is spelled — quoted, globbed (`/proc/*\/env*`, `/pr?c/1/e*`),
 * partly computed (`/proc/$PPID/environ`, `/proc/$$/environ`, `/proc/self/../1234/environ`) — any other
 * path into `/proc` except a few system-wide files, and `ps` with its environment options (`ps e`,
 * `ps eww`, `ps auxe`, `ps -E`). The OS sandbox (a new PID namespace) is what makes the parent's
 * environment unreachable; this makes the request visible and never covered by a blanket approval.
 */

const ENVIRON_REASON = 'it reads a process environment (/proc/*/environ), which may hold API keys or tokens';
const PROC_REASON = 'it reaches into /proc, where other processes\' environments, command lines and memory are';
/** Files of /proc that say nothing about a process's secrets. */
const HARMLESS = /^\/proc\/(cpuinfo|meminfo|loadavg|uptime|version|stat|mounts|filesystems|partitions|swaps|diskstats|cgroups|devices|interrupts|vmstat|zoneinfo|sys\/[a-z0-9_/.-]+|(self|thread-self)\/(status|stat|statm|limits|cgroup|mountinfo|comm|io))$/;

/** The word as a path pattern: quotes removed, anything the shell computes (`$x`, `$$`, `$(…)`) as `*`. */
function pattern(word: ShellWord): string {
  if (word.value !== null) return word.value;
  return word.raw
    .replace(/\$\{[^}]*\}|\$\([^)]*\)|`[^`]*`|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]/g, '*')
    .replace(/["'\\]/g, '');
}

/** A glob segment (`*`, `?`, `[…]`, `{a,b}`) as a regular expression. */
export function globSegment(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charAt(i);
    if (c === '*') out += '.*';
    else if (c === '?') out += '.';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) out += '\\[';
      else {
        out += `[${segment.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (c === '{') {
      const end = segment.indexOf('}', i);
      if (end < 0) out += '\\{';
      else {
        out += `(${segment.slice(i + 1, end).split(',').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`;
        i = end;
      }
    } else out += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Why this word (an argument, a redirection target, an assigned value) may read a process environment. */
export function procWordReason(word: ShellWord): string | undefined {
  const text = pattern(word);
  if (text.includes('environ') || word.raw.includes('environ')) return ENVIRON_REASON;
  const segments = text.split('/');
  const literal = word.value !== null && !word.expands;
  // An absolute path whose first folder is (or may glob to) `proc`, or any `self/` / `thread-self/` step.
  const intoProc = (segments[0] === '' && segments.length > 1 && globSegment(segments[1] ?? '').test('proc')) || segments.slice(0, -1).some((s) => s === 'self' || s === 'thread-self');
  if (!intoProc) return undefined;
  if (segments.some((s, i) => i > 1 && s.length > 0 && globSegment(s).test('environ'))) return ENVIRON_REASON;
  if (literal && HARMLESS.test(text.replace(/\/+$/, ''))) return undefined;
  return PROC_REASON;
}

/** `ps` options that print each process's environment: BSD `e` (`ps e`, `ps eww`, `ps auxe`) and `-E`. */
export function psEnvironReason(name: string, args: readonly ShellWord[]): string | undefined {
  if (name !== 'ps') return undefined;
  const takesArg = /^(-[pPuUgGoOCtsq]|--(pid|ppid|user|group|format|sort|tty|sid|cols|columns|rows|lines))$/;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) return `ps with a computed option (${arg.raw}) may print process environments`;
    if (takesArg.test(v)) {
      i++;
      continue;
    }
    if (/^[a-zA-Z]+$/.test(v) && v.includes('e')) return `ps ${v} prints each process's environment, which may hold API keys or tokens`;
    if (/^-[a-zA-Z]*E/.test(v)) return `ps ${v} prints each process's environment, which may hold API keys or tokens`;
  }
  return undefined;
}
