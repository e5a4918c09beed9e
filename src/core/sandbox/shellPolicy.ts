import * as path from 'node:path';
import type { CommandPolicyOptions } from './commandPolicyOptions';
import type { Decision } from './decisions';
import { dangerousCommandReason, dangerousTextReason, forkBombReason } from './dangerousCommands';
import { askEveryTime, block, strictest, strictestWithReasons } from './decisions';
import { computedNameDecision } from './shellNames';
import { interpreterDecisions, isInterpreter, programDecisions } from './shellPrograms';
import { judgeRedirects } from './shellRedirects';
import { assignmentDecisions, LOADER_VARIABLES, renameDecisions, shellOptionDecisions } from './shellRenames';
import type { ShellWord, SimpleCommand, StdinSource } from './shellScript';
import { readShellScript } from './shellWalk';
import { wordDecisions } from './shellWordRules';
import { unwrap, WRAPPERS } from './shellWrappers';

export type { CommandPolicyOptions } from './commandPolicyOptions';

export interface CommandJudgement {
  /** `allow` here means "nothing beyond the tool's own approval"; the approval policy makes it `ask`. */
  readonly decision: Decision;
  /** The simple commands, as the user sees them on the approval card. */
  readonly subcommands: readonly string[];
}

export const SHELLS = new Set(['sh', 'bash', 'rbash', 'zsh', 'dash', 'ksh', 'ksh93', 'mksh', 'pdksh', 'yash', 'posh', 'fish', 'csh', 'tcsh', 'ash', 'hush', 'pwsh', 'powershell', 'nu', 'elvish', 'xonsh']);
/** Nested shells (`bash -c "bash -c …"`) beyond this depth are refused rather than left unread. */
const MAX_DEPTH = 4;
const STDIN_SCRIPT = /^(\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/;

interface PolicyContext {
  readonly options: CommandPolicyOptions;
  readonly depth: number;
  /** What feeds the functions the script calls (a function body's stdin is its caller's). */
  readonly functionStdin: ReadonlyMap<number, StdinSource>;
}

/** Judges a whole command line: every simple command, every redirection, the raw text. Deny wins. */
export async function judgeCommand(command: string, options: CommandPolicyOptions, depth = 0): Promise<CommandJudgement> {
  if (command.trim() === '') return { decision: block('the command is empty'), subcommands: [] };
  if (command.includes('\0')) return { decision: block('the command contains a NUL byte'), subcommands: [] };
  const decisions: Decision[] = [];
  const raw = dangerousTextReason(command);
  if (raw !== undefined) decisions.push(block(raw));

  const read = readShellScript(command);
  if (!read.ok) {
    decisions.push(askEveryTime(`the command cannot be fully understood: ${read.reason}`));
    return { decision: strictest(decisions), subcommands: [command] };
  }
  const { script } = read;
  for (const hazard of script.hazards) decisions.push(askEveryTime(hazard.reason));
  const bomb = forkBombReason(script);
  if (bomb !== undefined) decisions.push(block(bomb));
  const ctx: PolicyContext = { options, depth, functionStdin: functionStdin(script.commands, script.functions.map((f) => f.name)) };
  for (const cmd of script.commands) decisions.push(...(await judgeSimpleCommand(cmd, ctx)));
  // What a redirection reads is judged like an argument (/proc, secrets, the store), with or without a sandbox.
  for (const step of script.steps) if (step.kind === 'redirect' && /^(<|<>|<&)$/.test(step.redirect.op)) decisions.push(...wordDecisions(step.redirect.target, options));
  if (options.sandbox !== undefined) decisions.push(...(await judgeRedirects(script.steps, options.cwd, options.sandbox)));
  return { decision: strictestWithReasons(decisions), subcommands: script.commands.map((c) => c.text) };
}

/** The value an assignment stores, as a word (`f=/proc/self/environ` → `/proc/self/environ`). */
function assignedValue(a: { readonly raw: string }): ShellWord {
  const raw = a.raw.slice(a.raw.indexOf('=') + 1).replace(/^\+?=/, '');
  const literal = /^[A-Za-z0-9_./~@%+,:-]*$/.test(raw);
  return { raw, value: literal ? raw : null, expands: false, tilde: raw.startsWith('~') };
}

/** For each declared function (by where it starts), the strongest thing that feeds a call of it. */
function functionStdin(commands: readonly SimpleCommand[], names: readonly string[]): Map<number, StdinSource> {
  const out = new Map<number, StdinSource>();
  for (const c of commands) {
    const name = c.words[0]?.value;
    if (name == null || !names.includes(name) || c.stdin.kind === 'inherited') continue;
    for (const other of commands) for (const fn of other.functions) if (fn.name === name && (out.get(fn.at)?.kind !== 'pipe')) out.set(fn.at, c.stdin);
  }
  return out;
}

function effectiveStdin(cmd: SimpleCommand, ctx: PolicyContext): StdinSource {
  if (cmd.stdin.kind !== 'inherited') return cmd.stdin;
  for (const fn of [...cmd.functions].reverse()) {
    const fed = ctx.functionStdin.get(fn.at);
    if (fed !== undefined) return fed;
  }
  return cmd.stdin;
}

async function judgeSimpleCommand(cmd: SimpleCommand, ctx: PolicyContext): Promise<Decision[]> {
  const decisions: Decision[] = [...assignmentDecisions(cmd)];
  for (const w of [...cmd.words, ...cmd.assignments.map(assignedValue)]) decisions.push(...wordDecisions(w, ctx.options));
  decisions.push(...(await judgeWords([...cmd.words], effectiveStdin(cmd, ctx), false, ctx)));
  return decisions;
}

/**
 * Unwraps layer after layer (`sudo env X=1 nice rm …`) so the innermost program is judged by the
 * lists, the dangerous list and the program rules too. `feedsArgs`: a wrapper (xargs, parallel) turns
 * its input into the command's arguments.
 */
async function judgeWords(words: ShellWord[], stdin: StdinSource, feedsArgs: boolean, ctx: PolicyContext): Promise<Decision[]> {
  const decisions: Decision[] = [];
  const { options } = ctx;
  let remaining = words;
  for (let layer = 0; remaining.length > 0; layer++) {
    if (layer >= 12) return [...decisions, block('the command wraps programs more than 12 deep; the policy refuses what it cannot read')];
    const [head, ...args] = remaining;
    if (head === undefined) break;
    if (head.value === null || head.expands) {
      decisions.push(computedNameDecision(head, args, options, stdin.kind === 'pipe' || feedsArgs));
      break;
    }
    const name = path.posix.basename(head.value);
    decisions.push(listDecision(head.value, name, args, options));
    const danger = dangerousCommandReason(name, args);
    if (danger !== undefined) decisions.push(block(danger));
    decisions.push(...programDecisions(name, args), ...renameDecisions(name, args));
    if (SHELLS.has(name)) {
      decisions.push(...(await shellDecisions(name, args, stdin, feedsArgs, ctx)));
      break;
    }
    if (isInterpreter(name)) decisions.push(...interpreterDecisions(name, args, feedsArgs ? { kind: 'pipe' } : stdin));
    if (name === 'find') {
      decisions.push(...(await findExecDecisions(args, ctx)));
      break;
    }
    const spec = WRAPPERS[name];
    if (spec === undefined) break;
    decisions.push(askEveryTime(`${name} runs another command (judged here too, but no "always allow" covers it)`));
    if (spec.detaches === true) decisions.push(askEveryTime(`${name} starts something that outlives this call`));
    if (spec.scriptOnly === true) {
      decisions.push(...(await scriptArgumentDecisions(name, args, stdin, ctx)));
      break;
    }
    const inner = unwrap(spec, args);
    if (inner.kind === 'none') break;
    if (inner.kind === 'default_shell') {
      decisions.push(...(await shellDecisions('sh', [], stdin, feedsArgs, ctx)));
      break;
    }
    if (inner.kind === 'shell_string') {
      decisions.push(...(await shellStringDecisions(`${name}'s command`, inner.script, inner.raw, ctx)));
      if (spec.argsFromStdin === true && stdin.kind === 'pipe') decisions.push(block(`${name} builds a shell command line from its input (like piping into a shell)`));
      break;
    }
    for (const w of inner.env) decisions.push(...(await envAssignmentDecisions(name, w, ctx)));
    if (inner.uncertain) decisions.push(...uncertainDecisions(name, inner.words, options));
    if (spec.argsFromStdin === true) feedsArgs = true;
    remaining = inner.words;
  }
  return decisions;
}

/**
 * A shell: it asks every time. Its `-c` text is judged as a command line; a shell that reads its
 * commands from a pipe (`… | sh`, `… | xargs sh -c`) or from another command's output (`sh <(…)`,
 * `bash -c "$(…)"`, a here-string with `$(…)`) is a hard block, like `curl | sh`.
 */
async function shellDecisions(name: string, args: readonly ShellWord[], stdin: StdinSource, feedsArgs: boolean, ctx: PolicyContext): Promise<Decision[]> {
  const out: Decision[] = [askEveryTime(`it starts another shell (${name}), whose commands the policy cannot see`), ...shellOptionDecisions(args)];
  let withC = false;
  let readsStdin = false;
  let operand: ShellWord | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) {
      operand = args[i];
      break;
    }
    if (v === '--' || v === '-') {
      operand = args[i + 1];
      break;
    }
    if (/^[-+][oO]$/.test(v) || v === '--rcfile' || v === '--init-file') {
      i++;
      continue;
    }
    if (/^[-+][a-zA-Z]+$/.test(v)) {
      if (v.startsWith('-') && v.includes('c')) withC = true;
      if (v.startsWith('-') && v.includes('s')) readsStdin = true;
      continue;
    }
    if (v.startsWith('--')) continue;
    operand = args[i];
    break;
  }
  if (feedsArgs) return [...out, block(`its input becomes the ${name} command line or script name (like piping into a shell)`)];
  if (withC) {
    if (operand === undefined) return [...out, block(`${name} -c without a command line reads it from elsewhere`)];
    out.push(...(await shellStringDecisions(`${name} -c`, operand.value, operand.raw, ctx)));
    return out;
  }
  if (operand !== undefined && !readsStdin) {
    if (operand.raw.startsWith('<(') || operand.raw.startsWith('>(')) return [...out, block(`${name} runs another command's output as a script (like piping into a shell)`)];
    if (operand.value === null || !STDIN_SCRIPT.test(operand.value)) return out; // a script file: shown on the card, confined by the sandbox
  }
  // The shell reads its commands from standard input.
  if (stdin.kind === 'pipe') return [...out, block(`piping into a shell (${name}) runs whatever the pipe carries`)];
  if (stdin.kind === 'text') {
    if (stdin.computed === 'substitution') return [...out, block(`${name} runs another command's output as shell code (like piping into a shell)`)];
    out.push(...(await shellStringDecisions(`the script fed to ${name}`, stdin.text, stdin.text, ctx)));
  }
  return out;
}

/** A shell command line given as text: judged like the outer one (one level deeper). */
async function shellStringDecisions(what: string, script: string | null, raw: string, ctx: PolicyContext): Promise<Decision[]> {
  if (script === null) {
    if (/\$\(|`|<\(/.test(raw)) return [block(`${what} runs another command's output as shell code (like piping into a shell)`)];
    // Judge what can be read (variables stay unknown); it asks every time anyway.
    if (ctx.depth + 1 >= MAX_DEPTH) return [block(`${what} nests shells more than ${MAX_DEPTH} deep; the policy refuses what it cannot read`)];
    return [askEveryTime(`${what} is computed by the shell`), (await judgeCommand(raw.replace(/^["']|["']$/g, ''), { ...ctx.options, sandbox: undefined }, ctx.depth + 1)).decision];
  }
  if (ctx.depth + 1 >= MAX_DEPTH) return [block(`${what} nests shells more than ${MAX_DEPTH} deep; the policy refuses what it cannot read`)];
  return [(await judgeCommand(script, { ...ctx.options, sandbox: undefined }, ctx.depth + 1)).decision];
}

/** `eval` and `trap` take a script; `source`/`.` a file (a process substitution or stdin pipe is a pipe into a shell). */
async function scriptArgumentDecisions(name: string, args: readonly ShellWord[], stdin: StdinSource, ctx: PolicyContext): Promise<Decision[]> {
  if (name === 'eval') {
    if (args.length === 0) return [];
    const literal = args.every((a) => a.value !== null);
    return shellStringDecisions('eval', literal ? args.map((a) => a.value).join(' ') : null, args.map((a) => a.raw).join(' '), ctx);
  }
  if (name === 'trap') return args[0] === undefined ? [] : shellStringDecisions('the trap', args[0].value, args[0].raw, ctx);
  const file = args[0];
  if (file === undefined) return [];
  if (file.raw.startsWith('<(')) return [block(`${name} runs another command's output as a script (like piping into a shell)`)];
  if (file.value !== null && STDIN_SCRIPT.test(file.value) && stdin.kind === 'pipe') return [block(`${name} ${file.value} runs whatever the pipe carries (like piping into a shell)`)];
  return [];
}

/** `find … -exec CMD … ;` (every clause): each command is judged as a program of its own. */
async function findExecDecisions(args: readonly ShellWord[], ctx: PolicyContext): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v !== '-exec' && v !== '-execdir' && v !== '-ok' && v !== '-okdir') continue;
    out.push(askEveryTime(`find ${v} runs another command for each file`));
    const end = args.findIndex((a, k) => k > i && (a.value === ';' || a.value === '+'));
    const inner = args.slice(i + 1, end < 0 ? undefined : end);
    out.push(...(await judgeWords(inner, { kind: 'inherited' }, false, ctx)));
    if (end < 0) break;
    i = end;
  }
  return out;
}

/**
 * `NAME=VALUE` given to a wrapper (`env`, `sudo`): a PATH-like name asks every time like any
 * assignment; an exported function (`BASH_FUNC_ls%%=() { …; }`) replaces `ls` in child shells, so its
 * body is judged as a script.
 */
async function envAssignmentDecisions(wrapper: string, word: ShellWord, ctx: PolicyContext): Promise<Decision[]> {
  const value = word.value ?? '';
  const name = value.slice(0, value.indexOf('='));
  const out: Decision[] = [...wordDecisions({ ...word, value: value.slice(value.indexOf('=') + 1) }, ctx.options)];
  if (!LOADER_VARIABLES.test(name)) return out;
  out.push(askEveryTime(`${wrapper} setting ${name} changes which programs later commands run or what they load`));
  if (name.startsWith('BASH_FUNC_')) out.push(...(await shellStringDecisions(`the function exported in ${name}`, `f${value.slice(value.indexOf('=') + 1)}`, value, ctx)));
  return out;
}

/** A wrapper option the spec does not know may take the next word: judge every later literal word as a possible program. */
function uncertainDecisions(wrapper: string, words: readonly ShellWord[], options: CommandPolicyOptions): Decision[] {
  const out: Decision[] = [];
  for (const w of words) {
    if (w.value === null) continue;
    const name = path.posix.basename(w.value).toLowerCase();
    const denied = options.denied.find((d) => d.toLowerCase() === name);
    if (denied !== undefined) out.push(block(`"${denied}" is in denied_commands (an option of ${wrapper} is not one the policy knows, so every later word is judged as the program)`));
  }
  return out;
}

function listDecision(full: string, name: string, args: readonly ShellWord[], options: CommandPolicyOptions): Decision {
  const line = [name, ...args.map((a) => a.value ?? a.raw)].join(' ').toLowerCase();
  const lower = name.toLowerCase();
  const matches = (entry: string) => {
    const e = entry.toLowerCase();
    return e === lower || e === full.toLowerCase() || (e.includes(' ') && (line === e || line.startsWith(`${e} `)));
  };
  const denied = options.denied.find(matches);
  if (denied !== undefined) return block(`"${denied}" is in denied_commands`);
  for (const list of options.allowedLists) {
    if (list.length > 0 && !list.some(matches)) return block(`"${name}" is not in allowed_commands (${list.join(', ')})`);
  }
  return { kind: 'allow', reason: 'no list restricts it' };
}
