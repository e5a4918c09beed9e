import { spawn } from 'node:child_process';
import { buildChildEnv } from './childEnv';
import { CommandTooLongError } from './sandboxErrors';
import { BoundedBuffer, capText, type OutputCap } from './outputCap';

/** What running a tool (or a process for it) gave: output, an error, or a refusal before anything ran. */
export type ToolOutcome =
  | { readonly status: 'ok'; readonly output: string; readonly truncated: boolean }
  | { readonly status: 'error'; readonly error: string }
  /** Refused by a hard rule, an open tool breaker or an untrusted workspace; nothing ran. */
  | { readonly status: 'blocked'; readonly error: string };

export interface ProcessOptions {
  readonly cwd: string;
  /** Milliseconds before the whole process group is killed. */
  readonly timeoutMs: number;
  readonly cap: OutputCap;
  readonly signal: AbortSignal;
  /** Milliseconds between SIGTERM and SIGKILL; defaults to 2 000. */
  readonly killGraceMs?: number;
  /** The complete environment; defaults to the allowlisted copy of this process's (`buildChildEnv`). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Linux's MAX_ARG_STRLEN: no single argument or environment string may be longer (bytes, with its NUL). */
export const MAX_ARG_BYTES = 131_072;
/** ARG_MAX with the default 8 MiB stack: all arguments, environment strings and their pointers together. */
export const MAX_ARGV_ENV_BYTES = 2_097_152;

/**
 * Throws `CommandTooLongError` for an argv + environment that execve would refuse with E2BIG, so the
 * model is told what to do instead of getting a spawn error (Linux limits; other systems' are larger or
 * similar, and the check only ever refuses what Linux would).
 */
export function checkArgvSize(file: string, args: readonly string[], env: NodeJS.ProcessEnv): void {
  const strings = [file, ...args, ...Object.entries(env).map(([k, v]) => `${k}=${v ?? ''}`)];
  let total = 0;
  for (const [i, s] of strings.entries()) {
    const bytes = Buffer.byteLength(s, 'utf8') + 1;
    if (bytes > MAX_ARG_BYTES) throw new CommandTooLongError(bytes - 1, MAX_ARG_BYTES - 1, i <= args.length ? 'The command' : 'An environment variable');
    total += bytes + 8;
  }
  if (total > MAX_ARGV_ENV_BYTES) throw new CommandTooLongError(total, MAX_ARGV_ENV_BYTES, 'The command with its environment');
}

/** Signals the whole process group (the child was started detached, so it leads its own group). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/**
 * Runs a program (argv array, no shell of ours) in its own process group with stdin closed and the
 * allowlisted environment. A timeout or an abort kills the whole group (SIGTERM, then SIGKILL), and
 * so does the end of the main process, so no background grandchild is left running.
 */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions): Promise<ToolOutcome> {
  return new Promise((resolve) => {
    if (options.signal.aborted) {
      resolve({ status: 'error', error: 'Cancelled before it started.' });
      return;
    }
    const env = options.env ?? buildChildEnv();
    try {
      checkArgvSize(file, args, env);
    } catch (err) {
      resolve({ status: 'error', error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const child = spawn(file, args, { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = new BoundedBuffer(options.cap.maxBytes);
    const err = new BoundedBuffer(options.cap.maxBytes);
    let stopped: 'timeout' | 'cancelled' | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    const terminate = (why: 'timeout' | 'cancelled' | 'exited') => {
      if (why !== 'exited') stopped ??= why;
      killGroup(child.pid, 'SIGTERM');
      killTimer ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 2000);
    };
    const timer = setTimeout(() => terminate('timeout'), options.timeoutMs);
    const onAbort = () => terminate('cancelled');
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    child.on('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // Background children (`sleep 100 &`) would outlive the command and hold the pipes open.
      terminate('exited');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({ status: 'error', error: `Could not start ${file}: ${e.message}` });
    });
    child.on('close', () => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      killGroup(child.pid, 'SIGKILL');
      options.signal.removeEventListener('abort', onAbort);
      const stdout = out.toBuffer().toString('utf8');
      const stderr = err.toBuffer().toString('utf8');
      let text = stdout;
      if (stderr.length > 0) text += `${text.length > 0 && !text.endsWith('\n') ? '\n' : ''}[stderr]\n${stderr}`;
      const capped = capText(text, options.cap, 'redirect output to a file and read parts of it, or filter it (head, grep)');
      const byteMarker = out.overflowed || err.overflowed ? `\n[output truncated: ${out.total + err.total} bytes produced, ${options.cap.maxBytes} kept per stream]` : '';
      const output = capped.text + byteMarker;
      const truncated = capped.truncated || byteMarker.length > 0;
      if (stopped === 'timeout') resolve({ status: 'error', error: `Timed out after ${Math.round(options.timeoutMs / 1000)} s; the command and its children were killed.\n${output}` });
      else if (stopped === 'cancelled') resolve({ status: 'error', error: `Cancelled; the command and its children were killed.\n${output}` });
      else if (exitCode === 0) resolve({ status: 'ok', output: output.length > 0 ? output : '(no output)', truncated });
      else resolve({ status: 'error', error: `Exit ${exitCode ?? exitSignal}.\n${output}` });
    });
  });
}
