import type { ShNode } from './shellParser';
import type { ShellWord } from './shellScript';

/** The command's text addressed by mvdan/sh's positions, which are UTF-8 byte offsets. */
export class ShellSource {
  private readonly bytes: Buffer;
  constructor(readonly text: string) {
    this.bytes = Buffer.from(text, 'utf8');
  }
  slice(from: number, to: number): string {
    return this.bytes.subarray(from, to).toString('utf8');
  }
  of(node: ShNode): string {
    return this.slice(node.Pos().Offset(), node.End().Offset());
  }
}

/** `NodeType` of mvdan/sh, passed in so this file does not load the parser. */
export type NodeTypeOf = (node: ShNode) => string;

/** A word's parts as GopherJS exposes them (a Go slice becomes an array). */
export function nodesOf(value: unknown): ShNode[] {
  return Array.isArray(value) ? (value.filter((v) => v !== null && v !== undefined) as ShNode[]) : [];
}

/** Unquoted text: `\x` is `x`, `\<newline>` vanishes. `mark` gets the shell-visible character or `q` for a quoted one. */
function unquoted(raw: string, mark: (c: string) => void): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charAt(i);
    if (c === '\\' && i + 1 < raw.length) {
      i++;
      if (raw[i] === '\n') continue;
      out += raw[i];
      mark('q');
      continue;
    }
    out += c;
    mark(c);
  }
  return out;
}

/** Inside double quotes only `\$ \` \" \\` and `\<newline>` are escapes; other backslashes stay. */
function doubleQuoted(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    const n = raw[i + 1];
    if (c === '\\' && n !== undefined && '$`"\\\n'.includes(n)) {
      if (n !== '\n') out += n;
      i++;
      continue;
    }
    out += c;
  }
  return out;
}

/** `*`, `?`, or a bracket expression: a lone `[` (the `test` builtin) or `]` is no pattern to bash. */
const GLOB = /[*?]|\[[^\]]*\]/;
const BRACE = /\{[^{}]*(,|\.\.)[^{}]*\}/;

/**
 * A Word node as the policy sees it: its value after quote removal when every part is literal, else
 * null. Globs and braces are found on the unquoted skeleton (quoted characters masked), so
 * `{a,"b"}` counts as a brace expansion and `'*'` does not count as a glob.
 */
export function readWord(word: ShNode, source: ShellSource, nodeType: NodeTypeOf): ShellWord {
  let value: string | null = '';
  let skeleton = '';
  const mark = (c: string) => (skeleton += c);
  for (const part of nodesOf(word.Parts)) {
    const type = nodeType(part);
    if (type === 'Lit') {
      const v = unquoted(String(part.Value), mark);
      if (value !== null) value += v;
    } else if (type === 'SglQuoted' && part.Dollar !== true) {
      const v = String(part.Value);
      skeleton += 'q'.repeat(v.length);
      if (value !== null) value += v;
    } else if (type === 'DblQuoted') {
      skeleton += 'q';
      const inner = nodesOf(part.Parts);
      if (inner.every((p) => nodeType(p) === 'Lit')) {
        if (value !== null) value += inner.map((p) => doubleQuoted(String(p.Value))).join('');
      } else {
        value = null;
      }
    } else {
      // ParamExp, CmdSubst, ArithmExp, ProcSubst, ExtGlob, `$'…'`: the shell computes it.
      skeleton += type === 'ExtGlob' ? '*' : 'q';
      value = null;
    }
  }
  return { raw: source.of(word), value, expands: GLOB.test(skeleton) || BRACE.test(skeleton), tilde: skeleton.startsWith('~') };
}

/** A bare literal (a function or variable name) as a word. */
export function literalWord(text: string): ShellWord {
  return { raw: text, value: text, expands: false, tilde: false };
}
