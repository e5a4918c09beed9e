import * as path from 'node:path';
import type { Decision } from '../tools/types';
import { dangerousCommandReason, dangerousTextReason } from './dangerousCommands';
import { askEveryTime, block, strictest } from './decisions';
import { judgeRedirects } from './shellRedirects';
import type { ShellWord, SimpleCommand } from './shellScript';
import { readShellScript } from './shellWalk';
import type { WorkspaceSandbox } from './workspaceSandbox';

export interface CommandPolicyOptions {
  /** Real path the command starts in. */
  readonly cwd: string;
  /** Checks redirection targets; omitted for `ssh`, whose files are on the remote host. */
  readonly sandbox?: WorkspaceSandbox;
  /** Every non-empty list must admit each program (settings, then the agent's narrowing list). */
  readonly allowedLists: readonly (readonly string[])[];
  /** Programs that never run (settings ∪ agent). */
  readonly denied: readonly string[];
}

export interface CommandJudgement {
  /** `allow` here means "nothing beyond the tool's own approval"; the approval policy makes it `ask`. */
  readonly decision: Decision;
  /** The simple commands, as the user sees them on the approval card. */
  readonly subcommands: readonly string[];
}

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'fish', 'csh', 'tcsh', 'ash', 'busybox', 'pwsh', 'powershell']);
/** Run another command given as arguments: what runs is hidden from the allow/deny lists. */
const WRAPPERS = new Set(['eval', 'exec', 'source', '.', 'sudo', 'doas', 'su', 'env', 'xargs', 'nohup', 'timeout', 'nice', 'ionice', 'stdbuf', 'command', 'builtin', 'time', 'setsid', 'chroot', 'watch', 'strace', 'ltrace', 'parallel', 'unbuffer', 'script', 'runuser', 'flock', 'trap']);
/** Interpreters whose inline-code flag runs arbitrary programs out of the policy's sight. */
const INLINE_CODE: Record<string, readonly string[]> = { python: ['-c'], python3: ['-c'], node: ['-e', '-p', '--eval', '--print'], perl: ['-e', '-E'], ruby: ['-e'], php: ['-r'], awk: [], gawk: [] };
const EXEC_FLAGS = new Set(['-exec', '-execdir', '-ok', '-okdir']);
/** Prefix assignments that do not change which program runs or how it loads. */
const SAFE_ASSIGNMENTS = /^(NODE_ENV|CI|DEBUG|FORCE_COLOR|NO_COLOR|LANG|LC_[A-Z]+|TZ|RUST_BACKTRACE|RUST_LOG|PYTHONUNBUFFERED|TERM|COLUMNS)$/;
/** Variables that, set for the rest of the script, change which program a name runs or what it loads. */
const LOADER_VARIABLES = /^(PATH|CDPATH|IFS|ENV|BASH_ENV|BASH_[A-Z_]+|SHELLOPTS|BASHOPTS|GLOBIGNORE|PS4|PROMPT_COMMAND|LD_[A-Z_]+|DYLD_[A-Z_]+|NODE_OPTIONS|NODE_PATH|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5OPT|PERL5LIB|RUBYOPT|RUBYLIB|GIT_[A-Z_]+|SSH_ASKPASS|EDITOR|VISUAL|PAGER|GCONV_PATH|HOME)$/;

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
  for (const cmd of script.commands) decisions.push(await judgeSimpleCommand(cmd, options, depth));
  if (options.sandbox !== undefined) decisions.push(...(await judgeRedirects(script.steps, options.cwd, options.sandbox)));
  return { decision: strictest(decisions), subcommands: script.commands.map((c) => c.text) };
}

async function judgeSimpleCommand(cmd: SimpleCommand, options: CommandPolicyOptions, depth: number): Promise<Decision> {
  const decisions: Decision[] = [];
  for (const a of cmd.assignments) {
    if (cmd.words.length > 0 && !cmd.declaration && !SAFE_ASSIGNMENTS.test(a.name)) decisions.push(askEveryTime(`setting ${a.name} for a command can change what it runs`));
    else if (LOADER_VARIABLES.test(a.name)) decisions.push(askEveryTime(`setting ${a.name} changes which programs later commands run or what they load`));
  }
  if (cmd.declaration && cmd.words.slice(1).some((w) => w.value !== null && /^[-+][a-zA-Z]*[in]/.test(w.value))) {
    decisions.push(askEveryTime(`${cmd.words[0].value} -i/-n makes later assignments evaluate code or write another variable`));
  }
  const words = [...cmd.words];
  for (const w of words) {
    const v = w.value ?? w.raw;
    if (/\/proc\/[^ ]*\/environ/.test(v) || v.includes('environ')) decisions.push(askEveryTime('it reads a process environment (/proc/*/environ), which may hold secrets'));
  }
  // Unwrap layer after layer (`sudo env X=1 nice rm …`) so the innermost program is judged too.
  let remaining: ShellWord[] = words;
  for (let layer = 0; remaining.length > 0 && layer < 8; layer++) {
    const head = remaining[0];
    if (head.value === null || head.expands) {
      decisions.push(askEveryTime(`the program name "${head.raw}" is computed by the shell, so the policy cannot tell what runs`));
      break;
    }
    const name = path.posix.basename(head.value);
    const args = remaining.slice(1);
    decisions.push(listDecision(head.value, name, args, options));
    const danger = dangerousCommandReason(name, args);
    if (danger !== undefined) decisions.push(block(danger));
    const exfil = exfiltrationReason(name, args);
    if (exfil !== undefined) decisions.push(askEveryTime(exfil));

    if (SHELLS.has(name)) {
      decisions.push(askEveryTime(`it starts another shell (${name}), whose commands the policy cannot see`));
      const ci = args.findIndex((a) => a.value === '-c' || (a.value !== null && /^-[a-z]*c$/.test(a.value)));
      const inner = ci >= 0 ? args[ci + 1] : undefined;
      if (inner?.value != null && depth < 3) decisions.push((await judgeCommand(inner.value, { ...options, sandbox: undefined }, depth + 1)).decision);
      break;
    }
    const inline = INLINE_CODE[name.replace(/[0-9.]+$/, '')] ?? INLINE_CODE[name];
    if (inline !== undefined && (inline.length === 0 || args.some((a) => a.value !== null && inline.includes(a.value)))) {
      decisions.push(askEveryTime(`${name} runs inline code the policy cannot see`));
    }
    if (name === 'find') {
      const ei = args.findIndex((a) => a.value !== null && EXEC_FLAGS.has(a.value));
      if (ei >= 0) {
        decisions.push(askEveryTime('find -exec runs another command for each file'));
        const end = args.findIndex((a, i) => i > ei && (a.value === ';' || a.value === '+'));
        remaining = args.slice(ei + 1, end < 0 ? undefined : end);
        continue;
      }
      if (args.some((a) => a.value === '-delete')) decisions.push(askEveryTime('find -delete removes every matching file'));
      break;
    }
    if (!WRAPPERS.has(name)) break;
    decisions.push(askEveryTime(`${name} runs another command, hidden from the allowed/denied lists`));
    // `eval` and `trap` take a script, not a program: judge it as one (it may hold `;`, pipes…).
    const script = name === 'eval' ? args : name === 'trap' ? args.slice(0, 1) : [];
    if (script.length > 0 && script.every((a) => a.value !== null) && depth < 3) {
      decisions.push((await judgeCommand(script.map((a) => a.value).join(' '), { ...options, sandbox: undefined }, depth + 1)).decision);
    }
    remaining = stripWrapper(name, args);
  }
  return strictest(decisions);
}

/** The command a wrapper runs: its options, `X=Y` pairs (env) and a duration (timeout) removed. */
function stripWrapper(name: string, args: ShellWord[]): ShellWord[] {
  let i = 0;
  while (i < args.length) {
    const v = args[i].value;
    if (v === null) break;
    if (v === '--') {
      i++;
      break;
    }
    if (v.startsWith('-')) {
      i += ['-u', '-C', '-n', '-g', '-s', '-k', '-I', '-L', '-P', '-d'].includes(v) ? 2 : 1;
      continue;
    }
    if (name === 'env' && /^[A-Za-z_][A-Za-z0-9_]*=/.test(v)) {
      i++;
      continue;
    }
    if (name === 'timeout' && /^[0-9.]+[smhd]?$/.test(v)) {
      i++;
      continue;
    }
    break;
  }
  // `eval`/`source` take a script or file, not a program + arguments; their words are judged as one.
  return name === 'source' || name === '.' || name === 'trap' ? [] : args.slice(i);
}

function listDecision(full: string, name: string, args: ShellWord[], options: CommandPolicyOptions): Decision {
  const line = [name, ...args.map((a) => a.value ?? a.raw)].join(' ');
  const matches = (entry: string) => entry === name || entry === full || (entry.includes(' ') && (line === entry || line.startsWith(`${entry} `)));
  const denied = options.denied.find(matches);
  if (denied !== undefined) return block(`"${denied}" is in denied_commands`);
  for (const list of options.allowedLists) {
    if (list.length > 0 && !list.some(matches)) return block(`"${name}" is not in allowed_commands (${list.join(', ')})`);
  }
  return { kind: 'allow', reason: 'no list restricts it' };
}

function exfiltrationReason(name: string, args: ShellWord[]): string | undefined {
  const values = args.map((a) => a.value ?? '');
  const secretHint = 'the environment may hold API keys or tokens';
  if (name === 'printenv') return `printenv prints environment variables; ${secretHint}`;
  if (name === 'env' && values.every((v) => v.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(v))) return `env without a command prints the environment; ${secretHint}`;
  if (name === 'set' && values.length === 0) return `set without arguments prints every variable; ${secretHint}`;
  if ((name === 'export' || name === 'declare' || name === 'typeset') && (values.length === 0 || values.some((v) => /^-[a-zA-Z]*[px]/.test(v)))) {
    return `${name} ${values.join(' ')} prints exported variables; ${secretHint}`;
  }
  if (name === 'compgen' && values.some((v) => v === '-e' || v === '-v')) return `compgen lists variables; ${secretHint}`;
  return undefined;
}
