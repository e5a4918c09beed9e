import type { Decision } from './decisions';
import { askEveryTime, block } from './decisions';
import type { ShellWord, SimpleCommand } from './shellScript';

/**
 * Shell features that make a name run something other than the program it names, so the approval
 * card, `allowed_commands` and `denied_commands` would judge the wrong program:
 * - `shopt -s expand_aliases` (and `bash -O expand_aliases`): a hard block. After it any later word may
 *   be an alias, so nothing the policy reads afterwards means what it says; no agent task needs aliases
 *   in a one-shot `bash -c`.
 * - `hash -p FILE NAME`: a hard block. It binds a plain name to any file, again with no use in a
 *   one-shot command, and the card would show `NAME` while FILE runs.
 * - `enable -f`: a hard block (loads a shared object into the shell itself: native code no policy sees).
 * - `alias NAME=…`, `enable [-n] NAME`, `export -f`, and setting a variable that decides which program
 *   a name runs or what it loads (PATH, BASH_ENV, ENV, LD_PRELOAD, IFS, BASH_FUNC_*, … — by plain or
 *   prefix assignment, `export`/`declare`/`local`/`typeset`/`readonly`, `read`, `mapfile`, `printf -v`,
 *   `getopts`): ask every time. Extending PATH has real uses, the assignment is on the card, and it
 *   renames no more than copying a program under another name does, which no name-based list can stop.
 */
export const LOADER_VARIABLES =
  /^(PATH|CDPATH|FPATH|IFS|ENV|BASH_ENV|BASH_[A-Z_]+|BASH_FUNC_.*|SHELLOPTS|BASHOPTS|GLOBIGNORE|EXECIGNORE|PS[0-4]|PROMPT_COMMAND|LD_[A-Z_]+|DYLD_[A-Z_]+|GCONV_PATH|LOCPATH|NLSPATH|HOSTALIASES|NODE_OPTIONS|NODE_PATH|NPM_CONFIG_[A-Z_]+|npm_config_[a-z_]+|PYTHON[A-Z_]*|PERL5OPT|PERL5LIB|PERLLIB|PERL5DB|RUBYOPT|RUBYLIB|LUA_INIT[_0-9]*|LUA_PATH[_0-9]*|LUA_CPATH[_0-9]*|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|JDK_JAVA_OPTIONS|CLASSPATH|GIT_[A-Z_]+|SSH_ASKPASS|SUDO_ASKPASS|EDITOR|VISUAL|PAGER|MANPAGER|GIT_PAGER|LESSOPEN|LESSCLOSE|BROWSER|TAR_OPTIONS|RSYNC_RSH|GZIP|ZIPOPT|MAKEFLAGS|MAKEFILES|MFLAGS|RUSTC_WRAPPER|HOME)$/;

/** Prefix assignments (`X=1 cmd`) that do not change which program runs or how it loads. */
const SAFE_PREFIX = /^(NODE_ENV|CI|DEBUG|FORCE_COLOR|NO_COLOR|LANG|LANGUAGE|LC_[A-Z]+|TZ|RUST_BACKTRACE|RUST_LOG|PYTHONUNBUFFERED|PYTHONDONTWRITEBYTECODE|TERM|COLUMNS|LINES)$/;

function loaderVariable(name: string, how: string): Decision {
  return askEveryTime(`${how} ${name} changes which programs later commands run or what they load`);
}

/** Assignments before a command, bare, or made by a declaration builtin. */
export function assignmentDecisions(cmd: SimpleCommand): Decision[] {
  const out: Decision[] = [];
  for (const a of cmd.assignments) {
    if (cmd.words.length > 0 && !cmd.declaration && !SAFE_PREFIX.test(a.name)) out.push(LOADER_VARIABLES.test(a.name) ? loaderVariable(a.name, 'setting') : askEveryTime(`setting ${a.name} for a command can change what it runs`));
    else if (LOADER_VARIABLES.test(a.name)) out.push(loaderVariable(a.name, 'setting'));
  }
  if (cmd.declaration && cmd.words.slice(1).some((w) => w.value !== null && /^[-+][a-zA-Z]*[in]/.test(w.value))) {
    out.push(askEveryTime(`${cmd.words[0]?.value ?? 'declare'} -i/-n makes later assignments evaluate code or write another variable`));
  }
  if (cmd.declaration && cmd.words[0]?.value === 'export' && cmd.words.slice(1).some((w) => w.value !== null && /^-[a-zA-Z]*f/.test(w.value))) {
    out.push(askEveryTime('export -f hands a function to child shells, where it replaces the program of the same name'));
  }
  return out;
}

/** Variables a builtin writes by name: `read NAME…`, `read -a NAME`, `mapfile NAME`, `printf -v NAME`, `getopts … NAME`. */
function writtenVariables(name: string, args: readonly ShellWord[]): (string | null)[] {
  const values = args.map((a) => a.value);
  const operands = (takesArg: string): (string | null)[] => {
    const out: (string | null)[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === undefined) break;
      if (v === null) out.push(null);
      else if (/^-[a-zA-Z]+$/.test(v)) {
        const last = v.charAt(v.length - 1);
        if (takesArg.includes(last)) {
          if (last === 'a' && name === 'read') out.push(values[i + 1] ?? null);
          i++;
        }
      } else out.push(v);
    }
    return out;
  };
  switch (name) {
    case 'read':
      return operands('adinNptu');
    case 'mapfile':
    case 'readarray':
      return operands('dnOsuCc').slice(-1);
    case 'printf': {
      const i = values.findIndex((v) => v === '-v' || (v !== null && v.startsWith('-v') && v.length > 2));
      if (i < 0) return [];
      return [values[i] === '-v' ? (values[i + 1] ?? null) : (values[i] as string).slice(2)];
    }
    case 'getopts':
      return values.slice(1, 2);
    default:
      return [];
  }
}

/** Builtins that rename programs or write PATH-like variables (see the file comment for each choice). */
export function renameDecisions(name: string, args: readonly ShellWord[]): Decision[] {
  const out: Decision[] = [];
  const values = args.map((a) => a.value);
  if (name === 'shopt' && values.some((v) => v === null || v === 'expand_aliases') && !values.includes('-u') && values.some((v) => v === '-s' || v === null)) {
    out.push(block('shopt -s expand_aliases lets an alias rename any later command, so the policy could no longer tell what runs'));
  }
  if (name === 'alias' && values.some((v) => v === null || v.includes('='))) out.push(askEveryTime('alias defines another name for a command'));
  if (name === 'hash' && values.some((v) => v !== null && /^-[a-zA-Z]*p/.test(v))) out.push(block('hash -p binds a command name to another program, so the card and the lists would judge the wrong one'));
  if (name === 'enable') {
    if (values.some((v) => v === null || /^-[a-zA-Z]*f/.test(v))) out.push(block('enable -f loads a shared object into the shell: native code the policy cannot see'));
    else if (values.some((v) => v !== null && !/^-[aps]+$/.test(v))) out.push(askEveryTime('enable switches a builtin on or off, so a name may run a different program'));
  }
  for (const v of writtenVariables(name, args)) {
    if (v === null) out.push(askEveryTime(`${name} writes a variable whose name is computed, which may be PATH or another variable that decides what runs`));
    else if (LOADER_VARIABLES.test(v)) out.push(loaderVariable(v, `${name} writing`));
  }
  if (name === 'mapfile' || name === 'readarray') {
    if (values.some((v) => v !== null && /^-[a-zA-Z]*C/.test(v))) out.push(askEveryTime(`${name} -C runs a callback command for the lines it reads`));
  }
  return out;
}

/** `bash -O expand_aliases` and friends, on a shell's own command line. */
export function shellOptionDecisions(args: readonly ShellWord[]): Decision[] {
  const values = args.map((a) => a.value);
  const on = values.some((v, k) => v === '-O' && (values[k + 1] === 'expand_aliases' || values[k + 1] === null));
  return on ? [block('-O expand_aliases lets an alias rename any later command, so the policy could no longer tell what runs')] : [];
}
