import * as path from 'node:path';
import type { ShellStep, SimpleCommand } from './shellScript';

/**
 * Where each redirection of a script may write from: the set of folders the shell may be in when it
 * opens it. A literal `cd DIR` adds DIR to the set and keeps the old folders (the cd may fail, or sit
 * in a branch or a subshell), so the set only grows and over-approximates. Anything it cannot follow —
 * `cd` without a literal folder, `cd -`, `popd`, a cd inside a loop or a function (which may run
 * many times, later) — makes the folder unknown for the whole script.
 */
export type CwdCandidates = readonly string[] | 'unknown';

/** Folder sets beyond this many are treated as unknown. */
const MAX_CANDIDATES = 16;
const CD_OPTIONS = new Set(['-L', '-P', '-e', '-@', '-LP', '-PL', '-Pe']);

/** For each redirect step (by index into `steps`), the folders it may be opened from. */
export function cwdForRedirects(steps: readonly ShellStep[], start: string): Map<number, CwdCandidates> {
  const out = new Map<number, CwdCandidates>();
  let current = [start] as string[] | 'unknown';
  const repeatedRedirects: number[] = [];
  const unknownEverywhere = steps.some((s) => s.kind === 'command' && s.command.repeated && cdTarget(s.command) !== undefined);
  for (const [i, step] of steps.entries()) {
    if (step.kind === 'command') {
      const target = cdTarget(step.command);
      if (target === undefined || current === 'unknown') continue;
      if (target === null) {
        current = 'unknown';
        continue;
      }
      const from: string[] = current;
      const next = [...new Set([...from, ...from.map((c) => path.resolve(c, target))])];
      current = next.length > MAX_CANDIDATES ? 'unknown' : next;
      continue;
    }
    if (unknownEverywhere) out.set(i, 'unknown');
    else if (step.repeated) repeatedRedirects.push(i);
    else out.set(i, current === 'unknown' ? 'unknown' : [...current]);
  }
  // A redirection in a loop or function body may run after every cd in the script.
  for (const i of repeatedRedirects) out.set(i, current === 'unknown' ? 'unknown' : [...current]);
  return out;
}

/**
 * `undefined`: not a folder change. `null`: a folder change the policy cannot follow. Else the
 * literal folder `cd`/`pushd` goes to (also behind `builtin`/`command`).
 */
export function cdTarget(command: SimpleCommand): string | null | undefined {
  let words = command.words;
  if (words[0]?.value === 'builtin' || words[0]?.value === 'command') words = words.slice(1);
  const name = words[0]?.value;
  if (name === 'popd') return null;
  if (name !== 'cd' && name !== 'pushd') return undefined;
  let args = words.slice(1);
  for (let v = args[0]?.value; v != null && CD_OPTIONS.has(v); v = args[0]?.value) args = args.slice(1);
  if (args[0]?.value === '--') args = args.slice(1);
  const target = args[0];
  if (target === undefined || args.length > 1) return null; // home folder, or an error the shell reports
  if (target.value === null || target.expands || target.tilde || target.value === '-' || /^[+-][0-9]+$/.test(target.value)) return null;
  return target.value;
}
