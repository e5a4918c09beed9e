import { spawn } from 'node:child_process';
import { buildChildEnv } from '../sandbox/childEnv';
import { BoundedBuffer } from '../sandbox/outputCap';

export type RipgrepResult =
  | { readonly ok: true; readonly stdout: string; readonly overflowed: boolean }
  | { readonly ok: false; readonly error: string };

/**
 * Runs ripgrep with an argv array (no shell), the allowlisted environment and stdin closed. Exit 1
 * means "no matches", not a failure. Stops reading (and kills rg) once `maxBytes` are collected, so a
 * search with endless output costs `maxBytes` of memory and ends.
 */
export function runRipgrep(rgPath: string, args: readonly string[], cwd: string, maxBytes: number, signal: AbortSignal): Promise<RipgrepResult> {
  return new Promise((resolve) => {
    const child = spawn(rgPath, args, { cwd, env: buildChildEnv(), stdio: ['ignore', 'pipe', 'pipe'], signal });
    const out = new BoundedBuffer(maxBytes);
    const err = new BoundedBuffer(4096);
    child.stdout.on('data', (chunk: Buffer) => {
      out.push(chunk);
      if (!out.overflowed) return;
      // At the cap: stop reading (what rg already wrote is dropped, not buffered) and end rg.
      child.stdout.destroy();
      child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') resolve({ ok: false, error: 'cancelled' });
      else if (e.code === 'ENOENT') resolve({ ok: false, error: `ripgrep was not found at "${rgPath}". Install ripgrep (rg) or set its path.` });
      else resolve({ ok: false, error: `ripgrep failed to start: ${e.message}` });
    });
    child.on('close', (code) => {
      const stdout = out.toBuffer().toString('utf8');
      if (out.overflowed || code === 0 || code === 1 || (code === 2 && stdout.length > 0)) resolve({ ok: true, stdout, overflowed: out.overflowed });
      else resolve({ ok: false, error: `ripgrep failed (exit ${code}): ${err.toBuffer().toString('utf8').trim()}` });
    });
  });
}
