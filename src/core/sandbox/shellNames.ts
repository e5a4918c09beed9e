import * as path from 'node:path';
import type { Decision } from './decisions';
import { DANGEROUS_NAMES, dangerousCommandReason } from './dangerousCommands';
import { askEveryTime, block } from './decisions';
import { globSegment } from './procEnviron';
import type { ShellWord } from './shellScript';
import type { CommandPolicyOptions } from './commandPolicyOptions';

/** Shells a computed name could be (a pipe into one of them is a hard block). */
const SHELL_NAMES = ['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'ash', 'busybox'];

/**
 * A program name the shell computes (`$x`, `${x}`, `$(…)`, `r$x`) or globs (`/bin/r?`, `/???/rm`):
 * whatever it could resolve to is judged. It is a hard block when an `allowed_commands` list is set
 * (it cannot be shown to be in it), when it could be a dangerous program with these arguments
 * (`$x -rf /`, `/bin/r? -rf ~`), a shell fed by a pipe, or — when part of it is visible — a program in
 * `denied_commands` (`/usr/bin/cur?`); otherwise it asks every time.
 */
export function computedNameDecision(head: ShellWord, args: readonly ShellWord[], options: CommandPolicyOptions, fed: boolean): Decision {
  // The name as a pattern: a computed part may be any text, a glob part matches what it matches.
  const text =
    head.value ??
    head.raw
      .replace(/\$\{[^}]*\}|\$\([^)]*\)|`[^`]*`|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@*#?$!-]|\$'[^']*'/g, '*')
      .replace(/["'\\]/g, '');
  const base = path.posix.basename(text) || '*';
  // A brace expansion (`{rm,x}`) makes several words: the first one is the program.
  const alternatives = /\{[^{}]*,[^{}]*\}/.test(base) ? base.slice(base.indexOf('{') + 1, base.indexOf('}')).split(',').map((a) => base.slice(0, base.indexOf('{')) + a) : [base];
  const couldBe = (name: string) => alternatives.some((a) => globSegment(a).test(name));
  const shown = head.raw;

  for (const list of options.allowedLists) {
    if (list.length > 0) return block(`the program name "${shown}" is computed by the shell, so it cannot be checked against allowed_commands (${list.join(', ')})`);
  }
  // A name with nothing literal in it could be any program; one with a visible part (`/usr/bin/cur?`)
  // is blocked when that part fits a denied program. (A fully computed name asks every time.)
  const fullyComputed = alternatives.every((a) => /^\*+$/.test(a));
  const denied = fullyComputed ? undefined : options.denied.find((d) => couldBe(path.posix.basename(d.split(' ')[0] ?? '')));
  if (denied !== undefined) return block(`the program name "${shown}" is computed by the shell and could be "${denied}", which is in denied_commands`);
  const namesDevice = args.some((a) => /^\/dev\/(sd|hd|vd|nvme|xvd|mmcblk|disk|loop|md|dm-)/.test(a.value ?? a.raw));
  for (const candidate of DANGEROUS_NAMES) {
    if (!couldBe(candidate)) continue;
    const reason = dangerousCommandReason(candidate, args);
    // Disk tools are dangerous by name alone; a computed name counts as one only when it is aimed at a device.
    const byNameOnly = dangerousCommandReason(candidate, []) !== undefined;
    if (reason !== undefined && (!byNameOnly || namesDevice)) return block(`the program name "${shown}" is computed by the shell and could be ${candidate}: ${reason}`);
  }
  if (fed && SHELL_NAMES.some(couldBe)) return block(`the program name "${shown}" is computed by the shell and could be a shell reading the pipe (like piping into a shell)`);
  return askEveryTime(`the program name "${shown}" is computed by the shell, so the policy cannot tell what runs`);
}
