import { parseShell, type ShNode } from './shellParser';
import type { ShellAssignment, ShellFunction, ShellHazard, ShellHazardKind, ShellRedirect, ShellScript, ShellStep, ShellWord, SimpleCommand, StdinSource } from './shellScript';
import { literalWord, nodesOf, readWord, ShellSource, type NodeTypeOf } from './shellWords';

export type ShellReading = { readonly ok: true; readonly script: ShellScript } | { readonly ok: false; readonly reason: string };

/** Nodes whose children are statements, words or expressions the walk judges on its own visits. */
const STRUCTURAL = new Set([
  'File', 'Stmt', 'BinaryCmd', 'Subshell', 'Block', 'FuncDecl', 'IfClause', 'WhileClause', 'ForClause', 'WordIter',
  'CaseClause', 'CaseItem', 'TimeClause', 'CoprocClause', 'UnaryTest', 'ParenTest', 'BinaryArithm', 'UnaryArithm',
  'ParenArithm', 'Word', 'Lit', 'SglQuoted', 'DblQuoted', 'ExtGlob', 'BraceExp', 'ArrayExpr', 'Comment',
]);
/** Bodies that may run many times, or later than where they are written. */
const REPEATING = new Set(['WhileClause', 'ForClause', 'FuncDecl']);
/** Arithmetic with only numbers and operators: nothing for bash to evaluate recursively. */
const LITERAL_ARITHMETIC = /^[\s0-9+\-*/%()<>=!&|^~?:,]*$/;
const LITERAL_INDEX = /^\s*([0-9]+|@|\*)\s*$/;
const ARITHMETIC_TEST = /^-(eq|ne|lt|le|gt|ge)$/;
const REDIRECT_OP = /^(&>>|&>|<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)/;
/** Constructs whose commands run in a process of their own. */
const FORKING = new Set(['Subshell', 'CmdSubst', 'ProcSubst']);
const STDIN_OPS = new Set(['<', '<>', '<<', '<<-', '<<<', '<&']);

const HAZARD_TEXT: Record<ShellHazardKind, string> = {
  command_substitution: 'it uses command substitution ($(…) or `…`), which runs commands hidden inside arguments',
  process_substitution: 'it uses process substitution (<(…) or >(…))',
  arithmetic: 'bash evaluates variables inside arithmetic and array subscripts as code, which can run hidden commands',
  indirect_expansion: 'an indirect or prompt expansion (${!x}, ${x@P}) runs whatever the variable holds',
  unknown_syntax: 'it uses syntax the command policy does not judge',
};

/**
 * Reads every simple command and redirection out of mvdan/sh's AST for `command`. `ok: false` when
 * the parser rejects the text (or cannot load); constructs that hide what runs become hazards.
 */
export function readShellScript(command: string): ShellReading {
  const parsed = parseShell(command);
  if (!parsed.ok) return parsed;
  const nodeType: NodeTypeOf = (n) => parsed.syntax.NodeType(n);
  const walker = new Walker(new ShellSource(command), nodeType, (n, visit) => parsed.syntax.Walk(n, visit));
  parsed.syntax.Walk(parsed.file, walker.visit);
  return { ok: true, script: walker.script() };
}

class Walker {
  private readonly steps: ShellStep[] = [];
  private readonly hazards = new Map<string, ShellHazard>();
  private readonly stack: string[] = [];
  private readonly parents: ShNode[] = [];
  private readonly functionStack: ShellFunction[] = [];
  private readonly declared: ShellFunction[] = [];
  private repeatDepth = 0;

  constructor(
    private readonly source: ShellSource,
    private readonly nodeType: NodeTypeOf,
    private readonly walk: (node: ShNode, visit: (node: ShNode | null) => boolean) => void,
  ) {}

  script(): ShellScript {
    const commands = this.steps.flatMap((s) => (s.kind === 'command' ? [s.command] : []));
    return { steps: this.steps, commands, hazards: [...this.hazards.values()], functions: [...this.declared] };
  }

  readonly visit = (node: ShNode | null): boolean => {
    if (node === null) {
      const type = this.stack.pop();
      this.parents.pop();
      if (type !== undefined && REPEATING.has(type)) this.repeatDepth--;
      if (type === 'FuncDecl') this.functionStack.pop();
      return true;
    }
    const type = this.nodeType(node);
    const parent = this.parents[this.parents.length - 1];
    this.stack.push(type);
    this.parents.push(node);
    if (REPEATING.has(type)) this.repeatDepth++;
    if (type === 'FuncDecl') {
      const name = (node.Name as ShNode | null)?.Value;
      const fn = { name: typeof name === 'string' ? name : '', at: node.Pos().Offset() };
      this.functionStack.push(fn);
      this.declared.push(fn);
    }
    this.judgeNode(type, node, parent);
    return true;
  };

  private hazard(kind: ShellHazardKind, detail?: string): void {
    const reason = detail === undefined ? HAZARD_TEXT[kind] : `${HAZARD_TEXT[kind]} (${detail})`;
    if (!this.hazards.has(reason)) this.hazards.set(reason, { kind, reason });
  }

  private arithmetic(expr: unknown): void {
    if (expr === null || expr === undefined) return;
    const text = this.source.of(expr as ShNode);
    if (!LITERAL_ARITHMETIC.test(text)) this.hazard('arithmetic', text.trim());
  }

  private index(expr: unknown): void {
    if (expr === null || expr === undefined) return;
    const text = this.source.of(expr as ShNode);
    if (!LITERAL_INDEX.test(text)) this.hazard('arithmetic', `[${text.trim()}]`);
  }

  private judgeNode(type: string, node: ShNode, parent: ShNode | undefined): void {
    switch (type) {
      case 'CallExpr':
        this.command(node, parent, nodesOf(node.Args).map((w) => this.word(w)), nodesOf(node.Assigns), false);
        return;
      case 'DeclClause': {
        const variant = node.Variant as ShNode | null;
        const name = variant === null ? 'declare' : String(variant.Value);
        const args = nodesOf(node.Args).map((a) => this.declarationArgument(a));
        this.command(node, parent, [literalWord(name), ...args], nodesOf(node.Args).filter((a) => a.Naked !== true), true);
        return;
      }
      case 'LetClause':
        this.command(node, parent, [literalWord('let'), ...nodesOf(node.Exprs).map((e) => literalWord(this.source.of(e)))], [], false);
        for (const e of nodesOf(node.Exprs)) this.arithmetic(e);
        return;
      case 'TestClause':
        this.command(node, parent, [literalWord('[[')], [], false);
        return;
      case 'BinaryTest': {
        const x = node.X as ShNode;
        const y = node.Y as ShNode;
        const op = this.source.slice(x.End().Offset(), y.Pos().Offset()).trim();
        if (ARITHMETIC_TEST.test(op)) {
          this.arithmetic(x);
          this.arithmetic(y);
        }
        return;
      }
      case 'ArithmCmd':
      case 'ArithmExp':
        this.arithmetic(node.X);
        return;
      case 'CStyleLoop':
        this.arithmetic(node.Init);
        this.arithmetic(node.Cond);
        this.arithmetic(node.Post);
        return;
      case 'ParamExp':
        this.paramExp(node);
        return;
      case 'Assign':
      case 'ArrayElem':
        this.index(node.Index);
        return;
      case 'CmdSubst':
        this.hazard('command_substitution');
        return;
      case 'ProcSubst':
        this.hazard('process_substitution');
        return;
      case 'Redirect':
        this.redirect(node);
        return;
      default:
        if (!STRUCTURAL.has(type)) this.hazard('unknown_syntax', `a ${type} node`);
    }
  }

  private paramExp(node: ShNode): void {
    this.index(node.Index);
    const slice = node.Slice as { Offset?: ShNode | null; Length?: ShNode | null } | null;
    if (slice !== null && slice !== undefined) {
      for (const part of [slice.Offset, slice.Length]) {
        if (part === null || part === undefined) continue;
        this.arithmetic(part);
        // mvdan/sh's Walk does not descend into `${x:offset:length}`; walk it here, in order.
        this.walk(part, this.visit);
      }
    }
    const text = this.source.of(node);
    if (node.Excl === true || /@P\}$/.test(text)) this.hazard('indirect_expansion', text);
  }

  /** `-p` (a flag), `NAME` or `NAME=value` of `export`/`declare`/…, as the word bash would see. */
  private declarationArgument(assign: ShNode): ShellWord {
    const value = assign.Value as ShNode | null;
    if (assign.Naked === true) return value === null ? literalWord(this.source.of(assign)) : this.word(value);
    const raw = this.source.of(assign);
    if (value === null) return { raw, value: null, expands: false, tilde: false };
    const read = this.word(value);
    const name = (assign.Name as ShNode | null)?.Value;
    return { raw, value: read.value === null ? null : `${String(name)}${assign.Append === true ? '+=' : '='}${read.value}`, expands: false, tilde: false };
  }

  private word(node: ShNode): ShellWord {
    return readWord(node, this.source, this.nodeType);
  }

  private command(node: ShNode, stmt: ShNode | undefined, words: ShellWord[], assigns: ShNode[], declaration: boolean): void {
    const assignments: ShellAssignment[] = assigns.map((a) => {
      const name = a.Name as ShNode | null;
      return { name: name === null ? '' : String(name.Value), raw: this.source.of(a) };
    });
    const text = this.source.of(stmt ?? node).trim().replace(/[;&]$/, '').trim();
    const command: SimpleCommand = {
      assignments,
      words,
      declaration,
      text,
      repeated: this.repeatDepth > 0,
      stdin: this.stdinOf(),
      functions: [...this.functionStack],
      at: node.Pos().Offset(),
      forks: this.forksInFunction(),
    };
    this.steps.push({ kind: 'command', command });
  }

  /** The innermost thing feeding the current command's stdin: its statement's redirections, a pipe, an enclosing statement's. */
  private stdinOf(): StdinSource {
    for (let i = this.parents.length - 2; i >= 0; i--) {
      const node = this.parents[i];
      const child = this.parents[i + 1];
      if (node === undefined || child === undefined) break;
      const type = this.nodeType(node);
      if (type === 'FuncDecl') return { kind: 'inherited' };
      if (type === 'Stmt') {
        const fed = nodesOf(node.Redirs).map((r) => this.readRedirect(r)).filter((r): r is ShellRedirect => r !== undefined && STDIN_OPS.has(r.op) && (r.fd === null || r.fd === '0'));
        const last = fed.at(-1);
        if (last !== undefined) return this.stdinFrom(last);
      }
      if (type === 'BinaryCmd' && this.isPipe(node) && child.Pos().Offset() >= (node.OpPos as { Offset(): number }).Offset()) return { kind: 'pipe' };
    }
    return { kind: 'inherited' };
  }

  private stdinFrom(r: ShellRedirect): StdinSource {
    if (r.op === '<' || r.op === '<>') return { kind: 'file', target: r.target };
    if (r.op === '<&') return r.target.value === '0' ? { kind: 'inherited' } : { kind: 'descriptor' };
    return { kind: 'text', text: r.text ?? r.target.raw, computed: r.computed ?? 'none' };
  }

  private isPipe(binary: ShNode): boolean {
    const at = (binary.OpPos as { Offset(): number }).Offset();
    const op = this.source.slice(at, at + 2);
    return op === '|&' || (op.startsWith('|') && op !== '||');
  }

  /** Between the command and its innermost enclosing function: a pipeline, `&`, a coprocess, a subshell or a substitution. */
  private forksInFunction(): boolean {
    if (this.functionStack.length === 0) return false;
    for (let i = this.parents.length - 2; i >= 0; i--) {
      const node = this.parents[i];
      if (node === undefined) break;
      const type = this.nodeType(node);
      if (type === 'FuncDecl') return false;
      if (FORKING.has(type)) return true;
      if (type === 'Stmt' && (node.Background === true || node.Coprocess === true)) return true;
      if (type === 'BinaryCmd' && this.isPipe(node)) return true;
      if (type === 'CoprocClause') return true;
    }
    return false;
  }

  private readRedirect(node: ShNode): ShellRedirect | undefined {
    const n = node.N as ShNode | null;
    const opAt = n === null ? (node.OpPos as { Offset(): number }).Offset() : n.End().Offset();
    const op = REDIRECT_OP.exec(this.source.slice(opAt, opAt + 3))?.[1];
    const target = node.Word as ShNode | null;
    if (op === undefined || target === null) return undefined;
    const base = { op, fd: n === null ? null : String(n.Value), target: this.word(target) };
    if (op === '<<<') return { ...base, text: this.source.of(target), computed: this.computedIn(target) };
    const hdoc = node.Hdoc as ShNode | null;
    if (op !== '<<' && op !== '<<-') return base;
    if (hdoc === null || hdoc === undefined) return { ...base, text: '', computed: 'none' };
    const parts = nodesOf(hdoc.Parts);
    const literal = parts.every((p) => this.nodeType(p) === 'Lit');
    return { ...base, text: literal ? parts.map((p) => String(p.Value)).join('') : this.source.of(hdoc), computed: this.computedIn(hdoc) };
  }

  /** What the shell computes inside a word: nothing, expansions only, or a command/process substitution. */
  private computedIn(word: ShNode): 'none' | 'expansion' | 'substitution' {
    let found: 'none' | 'expansion' | 'substitution' = 'none';
    this.walk(word, (n) => {
      if (n === null) return true;
      const type = this.nodeType(n);
      if (type === 'CmdSubst' || type === 'ProcSubst') found = 'substitution';
      else if ((type === 'ParamExp' || type === 'ArithmExp') && found === 'none') found = 'expansion';
      return true;
    });
    return found;
  }

  private redirect(node: ShNode): void {
    const redirect = this.readRedirect(node);
    if (redirect === undefined) {
      const n = node.N as ShNode | null;
      const opAt = n === null ? (node.OpPos as { Offset(): number }).Offset() : n.End().Offset();
      this.hazard('unknown_syntax', `a redirection the policy cannot read at byte ${opAt}`);
      return;
    }
    this.steps.push({ kind: 'redirect', redirect, repeated: this.repeatDepth > 0 });
  }
}
