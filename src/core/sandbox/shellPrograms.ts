import type { Decision } from './decisions';
import { askEveryTime } from './decisions';
import { gitReason } from './gitCommand';
import { psEnvironReason } from './procEnviron';
import type { ShellWord, StdinSource } from './shellScript';
import { sedScriptRisk } from './sedScript';

/**
 * Programs whose options run other commands, write files the redirection checks never see, or read
 * their program from somewhere the policy cannot show: each such use asks every time. (Wrappers
 * that run a program named in their arguments are in shellWrappers.ts; shells in shellPolicy.ts.)
 */

interface InterpreterSpec {
  /** Options whose argument is the program text. */
  readonly inline: readonly string[];
  /** Short option letters that take an argument (so it is not the script). */
  readonly argLetters: string;
  /** Long options that take the next word. */
  readonly longArg?: readonly string[];
  /** Options that run a named module or file instead of a script operand (python -m, ruby -S). */
  readonly module?: readonly string[];
  /** Options that print something and run no program. */
  readonly noCode: readonly string[];
}

const PY: InterpreterSpec = { inline: ['-c'], argLetters: 'WXQ', module: ['-m'], noCode: ['-V', '--version', '-h', '--help', '-VV'] };
const INTERPRETERS: Readonly<Record<string, InterpreterSpec>> = {
  python: PY,
  python2: PY,
  python3: PY,
  pypy: PY,
  pypy3: PY,
  node: { inline: ['-e', '-p', '--eval', '--print'], argLetters: 'rC', longArg: ['--require', '--import', '--loader', '--experimental-loader', '--input-type', '--title', '--conditions', '--env-file'], noCode: ['-v', '--version', '-h', '--help'] },
  nodejs: { inline: ['-e', '-p', '--eval', '--print'], argLetters: 'rC', noCode: ['-v', '--version', '-h', '--help'] },
  perl: { inline: ['-e', '-E'], argLetters: '', noCode: ['-v', '-V', '-h', '--version', '--help'] },
  ruby: { inline: ['-e'], argLetters: 'rCEIx', module: ['-S'], noCode: ['-v', '--version', '-h', '--help'] },
  php: { inline: ['-r', '-B', '-R', '-E', '-a'], argLetters: 'cdzFt', noCode: ['-v', '--version', '-h', '--help', '-m', '-i', '-l'] },
  lua: { inline: ['-e'], argLetters: 'l', noCode: ['-v'] },
  luajit: { inline: ['-e'], argLetters: 'lbj', noCode: ['-v'] },
  Rscript: { inline: ['-e', '--expr'], argLetters: '', noCode: ['--version', '--help'] },
  R: { inline: ['-e'], argLetters: 'fd', noCode: ['--version', '--help', '-h'] },
  tclsh: { inline: [], argLetters: '', noCode: [] },
  expect: { inline: ['-c'], argLetters: 'f', noCode: ['-v'] },
  osascript: { inline: ['-e'], argLetters: 'l', noCode: [] },
  deno: { inline: ['eval'], argLetters: '', noCode: ['--version', '-V', '-h', '--help'] },
  bun: { inline: ['-e', '--eval', '-p', '--print'], argLetters: '', noCode: ['--version', '-v', '-h', '--help'] },
  dc: { inline: ['-e', '--expression'], argLetters: 'f', noCode: ['--version', '-V', '-h', '--help'] },
};
/** A script operand that is the standard input itself. */
const STDIN_PATHS = /^(-|\/dev\/stdin|\/dev\/fd\/0|\/proc\/self\/fd\/0)$/;
const AWKS = new Set(['awk', 'gawk', 'mawk', 'nawk']);
/** awk program text that reaches outside: commands, pipes, file output, the environment, extensions. */
const AWK_REACH = /system\s*\(|getline|\b(print|printf)\b[^;{}]*[>|]|ENVIRON|PROCINFO|@load|@include/;

function interpreterName(name: string): string {
  if (INTERPRETERS[name] !== undefined) return name;
  const base = name.replace(/[0-9.]+$/, '');
  return INTERPRETERS[base] !== undefined ? base : name;
}

export function isInterpreter(name: string): boolean {
  return INTERPRETERS[interpreterName(name)] !== undefined;
}

/**
 * An interpreter fed its program inline (`-c`, `-e`), on stdin (no script, `-`, `/dev/stdin`), by a
 * here-document or here-string, or through a pipe: ask every time. A script file is an ordinary
 * command (the card shows its name; what it does is the sandbox's to confine).
 */
export function interpreterDecisions(name: string, args: readonly ShellWord[], stdin: StdinSource): Decision[] {
  const spec = INTERPRETERS[interpreterName(name)];
  if (spec === undefined) return [];
  let script: ShellWord | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) return [askEveryTime(`${name} gets a computed option or script (${arg.raw}), so the policy cannot tell what code it runs`)];
    if (spec.noCode.includes(v)) return [];
    if (spec.inline.some((f) => v === f || (f.length === 2 && f.startsWith('-') && v.startsWith(f) && !spec.argLetters.includes(f.charAt(1))) || v.startsWith(`${f}=`))) {
      return [askEveryTime(`${name} runs inline code the policy cannot see`)];
    }
    if (spec.module?.some((m) => v === m || v.startsWith(m))) return [];
    if (v === '--') {
      script = args[i + 1];
      break;
    }
    if (v.startsWith('--')) {
      if (spec.longArg?.includes(v)) i++;
      continue;
    }
    if (v.startsWith('-') && v.length > 1) {
      // Bundled short options: `-Bc code`, `-ue`: an inline letter anywhere in the bundle.
      const letters = v.slice(1);
      const inline = spec.inline.filter((f) => /^-[a-zA-Z]$/.test(f)).map((f) => f[1]);
      for (const [k, letter] of [...letters].entries()) {
        if (inline.includes(letter)) return [askEveryTime(`${name} runs inline code the policy cannot see`)];
        if (spec.argLetters.includes(letter)) {
          if (k === letters.length - 1) i++;
          break;
        }
      }
      continue;
    }
    script = args[i];
    break;
  }
  const fromStdin = script === undefined || (script.value !== null && STDIN_PATHS.test(script.value)) || /^\/dev\/fd\/[0-9]+$/.test(script.value ?? '');
  if (script !== undefined && script.raw.startsWith('<(')) return [askEveryTime(`${name} runs the output of another command as its program`)];
  if (!fromStdin) return [];
  const from = stdin.kind === 'pipe' ? 'a pipe' : stdin.kind === 'text' ? 'a here-document or here-string' : stdin.kind === 'file' ? `the file ${stdin.target.raw}` : 'its standard input';
  return [askEveryTime(`${name} reads its program from ${from}, which the policy cannot judge`)];
}

/** awk: a program that runs commands, pipes, writes files or reads the environment; or one read from stdin. */
function awkReason(args: readonly ShellWord[]): string | undefined {
  let program: ShellWord | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === null) return 'awk gets a computed option or program';
    if (v === '-f' || v === '--file' || v === '-E' || v === '--exec') {
      const file = args[i + 1]?.value;
      if (file == null || STDIN_PATHS.test(file) || /^\/dev\/fd\//.test(file)) return 'awk reads its program from standard input';
      i++;
      continue;
    }
    if (v === '-l' || v === '--load' || v.startsWith('-l')) return 'awk -l loads a native extension';
    if (v === '-e' || v === '--source') {
      program = args[i + 1];
      break;
    }
    if (/^-[vFi]$/.test(v) || v === '--assign' || v === '--field-separator' || v === '--include') {
      i++;
      continue;
    }
    if (v.startsWith('-')) continue;
    program = args[i];
    break;
  }
  if (program === undefined) return undefined;
  if (program.value === null) return 'awk runs a computed program';
  return AWK_REACH.test(program.value) ? 'the awk program runs commands, pipes, writes files or reads the environment (system, getline, |, >, ENVIRON)' : undefined;
}

function sedReason(args: readonly ShellWord[]): string | undefined {
  const scripts: (string | null)[] = [];
  let sawScriptOption = false;
  let sandboxed = false;
  const operands: (string | null)[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value;
    if (v === '--sandbox') sandboxed = true;
    else if (v === '-e' || v === '--expression') {
      sawScriptOption = true;
      scripts.push(args[++i]?.value ?? null);
    } else if (v !== null && v.startsWith('--expression=')) {
      sawScriptOption = true;
      scripts.push(v.slice('--expression='.length));
    } else if (v === '-f' || v === '--file' || (v !== null && v.startsWith('--file='))) return 'sed runs a script from a file the policy cannot read';
    else if (v === '-l' || v === '--line-length') i++;
    else if (v !== null && /^-[a-zA-Z]*e$/.test(v)) {
      sawScriptOption = true;
      scripts.push(args[++i]?.value ?? null);
    } else if (v !== null && /^-[a-zA-Z]*f$/.test(v)) return 'sed runs a script from a file the policy cannot read';
    else if (v === null || !v.startsWith('-') || v === '-') operands.push(v);
  }
  const [firstOperand] = operands;
  if (!sawScriptOption && firstOperand !== undefined) scripts.push(firstOperand);
  if (sandboxed) return undefined;
  for (const s of scripts) {
    if (s === null) return 'sed runs a computed script';
    const risk = sedScriptRisk(s);
    if (risk === 'unreadable') return 'sed runs a script the policy cannot fully read';
    if (risk !== undefined) return `sed ${risk}`;
  }
  return undefined;
}

function tarReason(args: readonly ShellWord[]): string | undefined {
  const values = args.map((a) => a.value ?? a.raw);
  const long = values.find((v) => /^--(checkpoint-action|to-command|use-compress-program|info-script|new-volume-script|rsh-command|rmt-command|multi-volume)(=|$)/.test(v));
  if (long !== undefined) return `tar ${long} runs another command`;
  const [first] = values;
  // Old-style keys (`tar xIf prog a.tar`) and short bundles (`-xIprog`, `-F script`).
  if ((first !== undefined && /^[a-zA-Z]+$/.test(first) && /[IFM]/.test(first)) || values.some((v) => /^-[a-zA-Z]*[IFM]/.test(v))) return 'tar -I/-F/-M runs another command';
  const archive = values.findIndex((v) => v === '-f' || v === '--file' || /^-[a-zA-Z]*f$/.test(v));
  const name = archive >= 0 ? values[archive + 1] : values.find((v) => v.startsWith('--file='))?.slice(7);
  if (name !== undefined && /^[^/]*:/.test(name) && !values.includes('--force-local')) return `tar on ${name} runs a remote shell (rsh/ssh) to reach it`;
  return undefined;
}

const SSH_RUNS = /^(proxycommand|localcommand|permitlocalcommand|knownhostscommand|match|include)$/i;

function sshReason(name: string, args: readonly ShellWord[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === undefined) break;
    const v = arg.value ?? arg.raw;
    const option = v === '-o' ? (args[i + 1]?.value ?? args[i + 1]?.raw ?? '') : v.startsWith('-o') ? v.slice(2) : undefined;
    if (option !== undefined) {
      const key = option.trim().split(/[\s=]/)[0] ?? '';
      if (SSH_RUNS.test(key)) return `${name} -o ${key} runs a local command`;
    }
    if (v === '-F' || /^-F./.test(v)) return `${name} -F reads a config file that may run commands (ProxyCommand, LocalCommand)`;
    if ((name === 'scp' || name === 'sftp') && (v === '-S' || /^-S./.test(v))) return `${name} -S runs another program as its ssh`;
    if (name === 'sftp' && (v === '-b' || /^-b./.test(v) || v === '-D')) return 'sftp -b runs a batch file, which can run local commands (!cmd)';
  }
  return undefined;
}

function rsyncReason(args: readonly ShellWord[]): string | undefined {
  const hit = args.map((a) => a.value ?? a.raw).find((v) => /^--(rsh|rsync-path|remote-option)(=|$)/.test(v) || /^-[a-zA-Z]*[eM]/.test(v));
  return hit === undefined ? undefined : `rsync ${hit} runs another command (a remote shell or a remote program)`;
}

/** Programs that ask every time whatever their arguments, with why. */
const ALWAYS: Readonly<Record<string, string>> = {
  less: 'less can run shell commands (!cmd, LESSOPEN)',
  more: 'more can run shell commands (!cmd)',
  most: 'most can run shell commands',
  pg: 'pg can run shell commands (!cmd)',
  man: 'man runs a pager and formatters that can run shell commands',
  vi: 'an editor can run commands (:!cmd, -c, +cmd)',
  vim: 'an editor can run commands (:!cmd, -c, +cmd)',
  nvim: 'an editor can run commands (:!cmd, -c, +cmd)',
  view: 'an editor can run commands (:!cmd, -c, +cmd)',
  vimdiff: 'an editor can run commands (:!cmd, -c, +cmd)',
  ex: 'ex runs editor commands, including :!cmd',
  ed: 'ed runs editor commands from its input, including !cmd',
  emacs: 'emacs can evaluate code (--eval, -l, -f)',
  make: 'make runs the recipes of a Makefile, which the policy cannot see',
  gmake: 'make runs the recipes of a Makefile, which the policy cannot see',
  bmake: 'make runs the recipes of a Makefile, which the policy cannot see',
  gdb: 'gdb can run shell commands (shell, -ex)',
  at: 'at schedules commands to run later, outside this call',
  batch: 'batch schedules commands to run later, outside this call',
  crontab: 'crontab schedules commands to run later, outside this call',
  tmux: 'tmux starts a session that outlives the call and runs commands in it',
  screen: 'screen starts a session that outlives the call and runs commands in it',
};

/** Every "ask every time" rule for one program (already unwrapped from its wrappers). */
export function programDecisions(name: string, args: readonly ShellWord[]): Decision[] {
  const values = args.map((a) => a.value ?? a.raw);
  const reasons: (string | undefined)[] = [ALWAYS[name], psEnvironReason(name, args), exfiltrationReason(name, args)];
  if (AWKS.has(name)) reasons.push(awkReason(args));
  if (name === 'sed' || name === 'gsed') reasons.push(sedReason(args));
  if (name === 'tar' || name === 'gtar' || name === 'bsdtar') reasons.push(tarReason(args));
  if (name === 'git') reasons.push(gitReason(args));
  if (name === 'ssh' || name === 'scp' || name === 'sftp') reasons.push(sshReason(name, args));
  if (name === 'rsync') reasons.push(rsyncReason(args));
  if (name === 'find') {
    const writes = values.find((v) => /^-(fprint0?|fprintf|fls)$/.test(v));
    if (writes !== undefined) reasons.push(`find ${writes} writes a file the redirection checks do not see`);
    if (values.includes('-delete')) reasons.push('find -delete removes every matching file');
  }
  if (name === 'zip' && values.some((v) => v === '-TT' || v.startsWith('--unzip-command') || /^-[a-zA-Z]*TT/.test(v))) reasons.push('zip -TT runs another command to test the archive');
  if (name === 'socat' && values.some((v) => /^(exec|system):/i.test(v))) reasons.push('socat EXEC:/SYSTEM: runs a command');
  if ((name === 'nc' || name === 'ncat' || name === 'netcat') && values.some((v) => /^-[a-zA-Z]*[ec]$|^--(exec|sh-exec|lua-exec)(=|$)/.test(v))) reasons.push(`${name} -e/-c runs a command for the connection`);
  if ((name === 'rg' || name === 'ripgrep') && values.some((v) => /^--pre(=|$)/.test(v))) reasons.push('rg --pre runs a command for every file it searches');
  if (name === 'sort' && values.some((v) => /^--compress-program(=|$)/.test(v))) reasons.push('sort --compress-program runs another program');
  if (name === 'split' && values.some((v) => /^--filter(=|$)/.test(v))) reasons.push('split --filter runs a shell command for every part');
  return reasons.filter((r): r is string => r !== undefined).map((r) => askEveryTime(r));
}

function exfiltrationReason(name: string, args: readonly ShellWord[]): string | undefined {
  const values = args.map((a) => a.value ?? '');
  const secretHint = 'the environment may hold API keys or tokens';
  if (name === 'printenv') return `printenv prints environment variables; ${secretHint}`;
  if (name === 'env' && values.every((v) => v.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(v))) return `env without a command prints the environment; ${secretHint}`;
  if (name === 'set' && values.length === 0) return `set without arguments prints every variable; ${secretHint}`;
  if ((name === 'export' || name === 'declare' || name === 'typeset') && (values.length === 0 || values.some((v) => /^-[a-zA-Z]*[px]/.test(v)))) {
    return `${name} ${values.join(' ')} prints exported variables; ${secretHint}`;
  }
  if (name === 'compgen' && values.some((v) => v === '-e' || v === '-v')) return `compgen lists variables; ${secretHint}`;
  if (name === 'systemctl' && values.includes('show-environment')) return `systemctl show-environment prints the service manager's environment; ${secretHint}`;
  return undefined;
}
