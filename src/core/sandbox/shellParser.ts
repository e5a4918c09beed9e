import * as fs from 'node:fs';
import * as path from 'node:path';
import { getProcessor, LangVariant, type File as ShFile } from 'sh-syntax';
import { readShellScript, type ShellScript } from './shellScript';

/**
 * mvdan/sh (the parser behind shfmt, compiled to WebAssembly by sh-syntax) decides whether a command
 * is valid bash, and its statement count must agree with the structural reader's. The wasm is
 * `dist/main.wasm` next to the bundle at run time, and `node_modules/sh-syntax/main.wasm` in tests.
 */
export type ParsedShell =
  | { readonly ok: true; readonly script: ShellScript }
  | { readonly ok: false; readonly reason: string };

function wasmCandidates(): string[] {
  const candidates = [path.join(__dirname, 'main.wasm'), path.join(__dirname, '..', 'main.wasm')];
  try {
    candidates.push(require.resolve('sh-syntax/main.wasm'));
  } catch {
    // Bundled: node_modules is not shipped; the copy next to the bundle is used.
  }
  return candidates;
}

/** The WebAssembly API, typed minimally: the project's lib (ES2023, no DOM) does not declare it. */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: unknown): Promise<object>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/**
 * sh-syntax's package.json does not list `vendors/wasm_exec.cjs` (which defines the global `Go`) as
 * having side effects, so a bundler drops sh-syntax's own bare require of it. Keeping the module's
 * value alive here keeps it in dist/extension.js and dist/cli.js.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const goRuntime: unknown = require('sh-syntax/vendors/wasm_exec.cjs');

let compiled: Promise<object> | undefined;

function compileWasm(): Promise<object> {
  compiled ??= (async () => {
    const tried: string[] = [];
    for (const candidate of wasmCandidates()) {
      tried.push(candidate);
      try {
        return await wasmApi.compile(await fs.promises.readFile(candidate));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    compiled = undefined;
    throw new Error(`The shell parser (main.wasm) was not found; looked in ${tried.join(', ')}. Reinstall the extension.`);
  })();
  return compiled;
}

// One compiled module, a fresh instance per parse (the Go runtime inside is single-use).
const instantiate = async (imports: unknown) => wasmApi.instantiate(await compileWasm(), imports);
const processor = getProcessor(instantiate as unknown as Parameters<typeof getProcessor>[0]);

/** mvdan/sh's AST for `command` (bash dialect). Throws its ParseError for invalid syntax. */
export function parseWithMvdan(command: string): Promise<ShFile> {
  return processor(command, { variant: LangVariant.LangBash, keepComments: false });
}

/** Both readings of a command; `ok: false` when either cannot follow it or they disagree. */
export async function parseShell(command: string): Promise<ParsedShell> {
  let file: ShFile;
  try {
    file = await parseWithMvdan(command);
  } catch (err) {
    return { ok: false, reason: `the shell parser rejected it: ${err instanceof Error ? err.message : String(err)}` };
  }
  let script: ShellScript;
  try {
    script = readShellScript(command);
  } catch (err) {
    return { ok: false, reason: `it uses syntax the policy cannot follow (${err instanceof Error ? err.message : String(err)})` };
  }
  if (script.topLevelStatements !== file.Stmts.length) {
    return { ok: false, reason: `its structure is ambiguous (${file.Stmts.length} statements for the shell, ${script.topLevelStatements} for the policy)` };
  }
  return { ok: true, script };
}
