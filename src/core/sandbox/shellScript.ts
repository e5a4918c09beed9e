/**
 * A conservative structural reading of a bash command: every simple command (across `;`, `&&`,
 * `||`, `|`, subshells, groups, functions, if/for/while bodies and inside `$(…)`, backticks and
 * `<(…)`), its words after quote removal, its redirections, and the features that hide what runs.
 *
 * Why not only sh-syntax: its WebAssembly build returns an AST whose command nodes carry positions
 * but no node types, so it cannot be walked. mvdan/sh (through sh-syntax) stays the authority on
 * whether the text is valid bash (see shellParser.ts); this reader must agree on the statement
 * structure, and whatever it does not understand is reported as a feature that needs approval
 * every time. It never has to be right about harmless syntax, only never more permissive than bash.
 */

export interface ShellWord {
  /** The source text of the word. */
  readonly raw: string;
  /** The word after quote removal, or null when it contains an expansion whose value is unknown. */
  readonly value: string | null;
  /** Unquoted glob (`* ? [`) or brace expansion (`{a,b}`): the word may become several. */
  readonly expands: boolean;
  /** Starts with an unquoted `~` (the shell puts the home folder there). */
  readonly tilde: boolean;
}

export interface ShellRedirect {
  readonly op: string;
  readonly target: ShellWord;
}

export interface SimpleCommand {
  readonly assignments: readonly ShellWord[];
  readonly words: readonly ShellWord[];
  readonly redirects: readonly ShellRedirect[];
  /** The source text the command spans (for approval cards). */
  readonly text: string;
}

export type ShellFeature =
  | 'command_substitution'
  | 'process_substitution'
  | 'parameter_expansion'
  | 'arithmetic'
  | 'heredoc'
  | 'ansi_c_quote'
  | 'background'
  | 'case_statement';

export interface ShellScript {
  readonly commands: readonly SimpleCommand[];
  readonly features: ReadonlySet<ShellFeature>;
  /** Number of top-level statements (separated by `;`, `&` or newlines), compared with mvdan/sh's count. */
  readonly topLevelStatements: number;
}

export class ShellReadError extends Error {
  readonly kind = 'shell_read_error';
  constructor(message: string) {
    super(message);
    this.name = 'ShellReadError';
  }
}
export const isShellReadError = (e: unknown): e is ShellReadError => e instanceof ShellReadError;

const BLANK = new Set([' ', '\t']);
const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
/** Reserved words that only open or close a compound command; the commands inside are what matter. */
const FRAME_WORDS = new Set(['if', 'then', 'elif', 'else', 'fi', 'do', 'done', 'while', 'until', '{', '}', '!', 'time', 'function', 'coproc']);
const OPENERS = new Set(['if', 'while', 'until', 'for', 'select', '{', 'case']);
const CLOSERS = new Set(['fi', 'done', '}', 'esac']);

interface WordBuilder {
  raw: string;
  value: string;
  literal: boolean;
  expands: boolean;
  tilde: boolean;
}

/** Reads `source` into simple commands; throws ShellReadError on anything it cannot follow. */
export function readShellScript(source: string): ShellScript {
  const reader = new Reader(source);
  const top = reader.readList(undefined, 0);
  return { commands: reader.commands, features: reader.features, topLevelStatements: top };
}

class Reader {
  readonly commands: SimpleCommand[] = [];
  readonly features = new Set<ShellFeature>();
  private i = 0;

  constructor(private readonly src: string) {}

  /**
   * Reads commands until `stop` (`)` closing a `$(`) or the end. Returns how many statements were
   * at this level; compound depth is tracked so `if …; then …; fi` counts as one, as in mvdan/sh.
   */
  readList(stop: ')' | undefined, nestingAtStart: number): number {
    let statements = 0;
    let depth = nestingAtStart;
    let parens = 0;
    let current = this.newCommand();
    let statementOpen = false;
    let forState: 'none' | 'name' | 'in' = 'none';
    let doubleBracket = false;

    const finish = () => {
      if (current.words.length > 0 || current.assignments.length > 0 || current.redirects.length > 0) {
        this.commands.push({ assignments: current.assignments, words: current.words, redirects: current.redirects, text: this.src.slice(current.start, this.i).trim().replace(/^[|&;()\s]+/, '') });
      }
      current = this.newCommand();
    };
    const endStatement = () => {
      finish();
      if (statementOpen && depth === nestingAtStart && parens === 0) statements++;
      statementOpen = false;
    };

    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (BLANK.has(c)) {
        this.i++;
        continue;
      }
      if (c === '\\' && this.src[this.i + 1] === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '#' ) {
        while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
        continue;
      }
      if (doubleBracket && c !== '\n' && !(c === ']' && this.src.startsWith(']]', this.i))) {
        // Inside [[ … ]], `<`, `>`, `&&`, `(` are test operators, not redirections or separators.
        if (META.has(c)) {
          current.words.push({ raw: c, value: c, expands: false, tilde: false });
          this.i++;
          continue;
        }
      }
      if (c === '\n' || c === ';' || c === '&' || c === '|') {
        const two = this.src.slice(this.i, this.i + 2);
        if (c === '&' && (this.src[this.i + 1] === '>')) {
          this.readRedirect(current);
          statementOpen = true;
          continue;
        }
        if (two === ';;') throw new ShellReadError('`;;` outside a case statement');
        if (two === '&&' || two === '||' || two === '|&') {
          finish();
          this.i += 2;
          continue;
        }
        if (c === '|') {
          finish();
          this.i++;
          continue;
        }
        if (c === '&') this.features.add('background');
        this.i++;
        if (forState !== 'none') forState = 'none';
        endStatement();
        continue;
      }
      if (c === ')') {
        if (parens > 0) {
          parens--;
          finish();
          this.i++;
          continue;
        }
        if (stop === ')') {
          endStatement();
          this.i++;
          return statements;
        }
        throw new ShellReadError('unbalanced `)`');
      }
      if (c === '(') {
        if (this.src[this.i + 1] === '(' && current.words.length === 0) {
          // `(( … ))` arithmetic command.
          this.features.add('arithmetic');
          this.skipArithmetic(this.i + 2);
          statementOpen = true;
          continue;
        }
        if (current.words.length === 1 && this.src[this.i + 1] === ')') {
          // `name() …`: a function definition; its body is read like any other commands.
          this.i += 2;
          current = this.newCommand();
          continue;
        }
        if (current.words.length > 0) throw new ShellReadError('unexpected `(` after a command word');
        parens++;
        statementOpen = true;
        this.i++;
        continue;
      }
      if ((c === '<' || c === '>') && this.src[this.i + 1] !== '(') {
        this.readRedirect(current);
        statementOpen = true;
        continue;
      }
      // A word (or an fd number directly followed by a redirection).
      const fdMatch = /^[0-9]+(?=[<>])/.exec(this.src.slice(this.i, this.i + 12));
      if (fdMatch && this.src[this.i + fdMatch[0].length + 1] !== '(') {
        this.i += fdMatch[0].length;
        this.readRedirect(current);
        statementOpen = true;
        continue;
      }
      const word = this.readWord();
      statementOpen = true;
      const atStart = current.words.length === 0;
      if (forState === 'name') {
        forState = this.src.slice(this.i).match(/^[ \t]*in\b/) ? 'in' : 'none';
        if (forState === 'in') this.i += this.src.slice(this.i).indexOf('in') + 2;
        continue;
      }
      if (forState === 'in') continue; // the loop's word list is data, not a command
      if (atStart && current.assignments.length === 0 && word.value !== null) {
        if (word.value === '[[' ) {
          doubleBracket = true;
        }
        if (word.value === ']]' && doubleBracket) {
          doubleBracket = false;
          current.words.push(toWord(word));
          continue;
        }
        if (word.value === 'case') {
          this.features.add('case_statement');
          throw new ShellReadError('case statements are not followed by the command reader');
        }
        if (word.value === 'for' || word.value === 'select') {
          if (this.src.slice(this.i).match(/^[ \t]*\(\(/)) {
            this.features.add('arithmetic');
            this.skipArithmetic(this.src.indexOf('((', this.i) + 2);
            depth++;
            continue;
          }
          forState = 'name';
          depth++;
          continue;
        }
        if (OPENERS.has(word.value)) depth++;
        if (CLOSERS.has(word.value)) depth--;
        if (FRAME_WORDS.has(word.value) && !word.quoted) continue;
      }
      if (doubleBracket && word.value === ']]') doubleBracket = false;
      if (current.words.length === 0 && /^[A-Za-z_][A-Za-z0-9_]*(\[[^\]]*\])?\+?=/.test(word.raw)) {
        current.assignments.push(toWord(word));
      } else {
        current.words.push(toWord(word));
      }
    }
    if (stop === ')') throw new ShellReadError('unterminated `$(` or `<(`');
    if (parens !== 0) throw new ShellReadError('unbalanced `(`');
    if (depth !== nestingAtStart) throw new ShellReadError('an if/for/while/{ block is not closed');
    endStatement();
    return statements;
  }

  private newCommand() {
    return { start: this.i, assignments: [] as ShellWord[], words: [] as ShellWord[], redirects: [] as ShellRedirect[] };
  }

  private readRedirect(current: { redirects: ShellRedirect[] }): void {
    const m = /^(&>>|&>|<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)/.exec(this.src.slice(this.i));
    if (!m) throw new ShellReadError('unreadable redirection');
    this.i += m[1].length;
    while (BLANK.has(this.src[this.i] ?? '')) this.i++;
    if (this.i >= this.src.length || META.has(this.src[this.i])) throw new ShellReadError(`redirection \`${m[1]}\` has no target`);
    const target = this.readWord();
    if (m[1] === '<<' || m[1] === '<<-') this.features.add('heredoc');
    current.redirects.push({ op: m[1], target: toWord(target) });
  }

  private readWord(): WordBuilder & { quoted: boolean } {
    const start = this.i;
    const w: WordBuilder & { quoted: boolean } = { raw: '', value: '', literal: true, expands: false, tilde: this.src[this.i] === '~', quoted: false };
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (META.has(c)) {
        if ((c === '<' || c === '>') && this.src[this.i + 1] === '(') {
          this.features.add('process_substitution');
          this.i += 2;
          this.readList(')', 0);
          w.literal = false;
          continue;
        }
        break;
      }
      if (c === '\\') {
        if (this.src[this.i + 1] === '\n') {
          this.i += 2;
          continue;
        }
        if (this.i + 1 >= this.src.length) throw new ShellReadError('a trailing backslash');
        w.value += this.src[this.i + 1];
        w.quoted = true;
        this.i += 2;
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellReadError('an unterminated single quote');
        w.value += this.src.slice(this.i + 1, end);
        w.quoted = true;
        this.i = end + 1;
        continue;
      }
      if (c === '"') {
        w.quoted = true;
        this.readDoubleQuoted(w);
        continue;
      }
      if (c === '$') {
        this.readDollar(w);
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        w.literal = false;
        continue;
      }
      if (c === '*' || c === '?' || c === '[') w.expands = true;
      if (c === '{' && /^\{[^}\s]*(,|\.\.)[^}\s]*\}/.test(this.src.slice(this.i))) w.expands = true;
      w.value += c;
      this.i++;
    }
    w.raw = this.src.slice(start, this.i);
    return w;
  }

  private readDoubleQuoted(w: WordBuilder): void {
    this.i++;
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        const n = this.src[this.i + 1];
        if (n === '$' || n === '`' || n === '"' || n === '\\') w.value += n;
        else if (n !== '\n') w.value += c + (n ?? '');
        this.i += 2;
        continue;
      }
      if (c === '$') {
        this.readDollar(w);
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        w.literal = false;
        continue;
      }
      w.value += c;
      this.i++;
    }
    throw new ShellReadError('an unterminated double quote');
  }

  private readDollar(w: WordBuilder): void {
    const next = this.src[this.i + 1];
    if (next === '(' && this.src[this.i + 2] === '(') {
      this.features.add('arithmetic');
      this.skipArithmetic(this.i + 3);
      w.literal = false;
      return;
    }
    if (next === '(') {
      this.features.add('command_substitution');
      this.i += 2;
      this.readList(')', 0);
      w.literal = false;
      return;
    }
    if (next === '{') {
      this.features.add('parameter_expansion');
      this.skipBalanced(this.i + 2, '{', '}');
      w.literal = false;
      return;
    }
    if (next === "'") {
      this.features.add('ansi_c_quote');
      let j = this.i + 2;
      while (j < this.src.length && this.src[j] !== "'") j += this.src[j] === '\\' ? 2 : 1;
      if (j >= this.src.length) throw new ShellReadError("an unterminated $'…' string");
      this.i = j + 1;
      w.literal = false;
      return;
    }
    if (next === '"') {
      this.i++; // `$"…"` is a translated string; read as a plain double-quoted one
      this.readDoubleQuoted(w);
      return;
    }
    if (next !== undefined && /[A-Za-z_]/.test(next)) {
      this.features.add('parameter_expansion');
      this.i += 2;
      while (this.i < this.src.length && /[A-Za-z0-9_]/.test(this.src[this.i])) this.i++;
      w.literal = false;
      return;
    }
    if (next !== undefined && /[0-9@*#?$!-]/.test(next)) {
      this.features.add('parameter_expansion');
      this.i += 2;
      w.literal = false;
      return;
    }
    w.value += '$';
    this.i++;
  }

  /** `` `…` ``: the inside is a script of its own (with `\`` and `\\` unescaped). */
  private readBackticks(): void {
    this.features.add('command_substitution');
    let j = this.i + 1;
    let inner = '';
    while (j < this.src.length && this.src[j] !== '`') {
      if (this.src[j] === '\\' && (this.src[j + 1] === '`' || this.src[j + 1] === '\\' || this.src[j + 1] === '$')) {
        inner += this.src[j + 1];
        j += 2;
        continue;
      }
      inner += this.src[j];
      j++;
    }
    if (j >= this.src.length) throw new ShellReadError('an unterminated backtick substitution');
    const nested = readShellScript(inner);
    this.commands.push(...nested.commands);
    for (const f of nested.features) this.features.add(f);
    this.i = j + 1;
  }

  /** Skips `(( … ))`; a substitution inside still runs, so it is read too. */
  private skipArithmetic(from: number): void {
    let depth = 2;
    this.i = from;
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === '$' && this.src[this.i + 1] === '(' && this.src[this.i + 2] !== '(') {
        this.features.add('command_substitution');
        this.i += 2;
        this.readList(')', 0);
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        continue;
      }
      if (c === '(') depth++;
      if (c === ')') depth--;
      this.i++;
      if (depth === 0) return;
    }
    throw new ShellReadError('an unterminated arithmetic expression');
  }

  /** Skips `${ … }`, reading any substitution inside it. */
  private skipBalanced(from: number, open: string, close: string): void {
    let depth = 1;
    this.i = from;
    while (this.i < this.src.length) {
      const c = this.src[this.i];
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === '$' && this.src[this.i + 1] === '(') {
        const w: WordBuilder = { raw: '', value: '', literal: true, expands: false, tilde: false };
        this.readDollar(w);
        continue;
      }
      if (c === '`') {
        this.readBackticks();
        continue;
      }
      if (c === "'") {
        const end = this.src.indexOf("'", this.i + 1);
        if (end < 0) throw new ShellReadError('an unterminated single quote');
        this.i = end + 1;
        continue;
      }
      if (c === open) depth++;
      if (c === close) depth--;
      this.i++;
      if (depth === 0) return;
    }
    throw new ShellReadError('an unterminated ${…} expansion');
  }
}

function toWord(w: WordBuilder): ShellWord {
  return { raw: w.raw, value: w.literal ? w.value : null, expands: w.expands, tilde: w.tilde };
}
