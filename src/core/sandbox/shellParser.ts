import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * mvdan/sh (the parser behind shfmt) compiled to JavaScript by GopherJS: the npm package `mvdan-sh`,
 * one 1.5 MB CommonJS file with a synchronous API and the full typed AST. It is loaded on first use
 * with a `require` of a computed path so the bundler leaves it out of the bundles: at run time it is
 * `dist/mvdan-sh.js` next to the bundle, in tests `node_modules/mvdan-sh`.
 */

/** A node of mvdan/sh's AST as GopherJS exposes it: Go field names, `Pos()`/`End()` byte positions. */
export interface ShNode {
  Pos(): ShPos;
  End(): ShPos;
  readonly [field: string]: unknown;
}
export interface ShPos {
  /** Byte offset (UTF-8) into the source. */
  Offset(): number;
}

interface MvdanSyntax {
  NewParser(...options: unknown[]): { Parse(src: string, name: string): ShNode };
  Variant(lang: unknown): unknown;
  KeepComments(keep: boolean): unknown;
  readonly LangBash: unknown;
  NodeType(node: ShNode): string;
  /** Calls `visit(node)` before a node's children and `visit(null)` after them; `false` skips the children. */
  Walk(node: ShNode, visit: (node: ShNode | null) => boolean): void;
}

export type ParsedShell =
  | { readonly ok: true; readonly file: ShNode; readonly syntax: MvdanSyntax }
  | { readonly ok: false; readonly reason: string };

export class ShellParserUnavailableError extends Error {
  readonly kind = 'shell_parser_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShellParserUnavailableError';
  }
}
export const isShellParserUnavailableError = (e: unknown): e is ShellParserUnavailableError => e instanceof ShellParserUnavailableError;

/** Where the parser may be: next to the bundle first (shipped), then the installed package (tests, dev). */
function candidates(): string[] {
  const out = [path.join(__dirname, 'mvdan-sh.js')];
  try {
    // A computed specifier: the bundler must not resolve (and inline) the package.
    const packageName = ['mvdan', 'sh'].join('-');
    out.push(require.resolve(packageName));
  } catch {
    // Bundled: node_modules is not shipped; the copy next to the bundle is the one.
  }
  return out;
}

let loaded: { syntax: MvdanSyntax; parser: ReturnType<MvdanSyntax['NewParser']> } | undefined;

/** Loads mvdan/sh once. Throws ShellParserUnavailableError naming every place it looked. */
export function loadShellParser(): { syntax: MvdanSyntax; parser: ReturnType<MvdanSyntax['NewParser']> } {
  if (loaded !== undefined) return loaded;
  const tried = candidates();
  const found = tried.find((p) => fs.existsSync(p));
  if (found === undefined) {
    throw new ShellParserUnavailableError(`the shell parser (mvdan-sh) was not found; looked in ${tried.join(', ')}. Reinstall the extension.`);
  }
  let syntax: MvdanSyntax | undefined;
  // GopherJS's runtime sets `globalThis.require` as it loads; the parser does not need it afterwards.
  const hadGlobalRequire = Object.getOwnPropertyDescriptor(globalThis, 'require');
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    syntax = (require(found) as { syntax?: MvdanSyntax }).syntax;
  } catch (err) {
    throw new ShellParserUnavailableError(`the shell parser at ${found} failed to load: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    if (hadGlobalRequire === undefined) delete (globalThis as { require?: unknown }).require;
    else Object.defineProperty(globalThis, 'require', hadGlobalRequire);
  }
  if (syntax === undefined || typeof syntax.NewParser !== 'function' || typeof syntax.Walk !== 'function') {
    throw new ShellParserUnavailableError(`${found} is not the mvdan-sh parser (no syntax.NewParser/Walk). Reinstall the extension.`);
  }
  loaded = { syntax, parser: syntax.NewParser(syntax.KeepComments(false), syntax.Variant(syntax.LangBash)) };
  return loaded;
}

/** The message of what mvdan/sh throws: a Go error object with `Error()`, or a JS error. */
function describeThrown(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as { Error?: unknown }).Error === 'function') return String((err as { Error(): unknown }).Error());
  return err instanceof Error ? err.message : String(err);
}

/** mvdan/sh's AST for `command` (bash dialect), or why there is none. Never throws. */
export function parseShell(command: string): ParsedShell {
  let parser: ReturnType<typeof loadShellParser>;
  try {
    parser = loadShellParser();
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  try {
    return { ok: true, file: parser.parser.Parse(command, 'command'), syntax: parser.syntax };
  } catch (err) {
    return { ok: false, reason: `the shell parser rejected it: ${describeThrown(err)}` };
  }
}
