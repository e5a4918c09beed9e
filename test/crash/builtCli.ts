import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CliRun } from './cliProcess';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST_CLI = path.join(ROOT, 'dist', 'cli.js');

/** Builds dist/cli.js once per test process, so the processes run what the sources say (about 2 s). */
let built = false;
export function buildCliOnce(): void {
  if (built) return;
  execFileSync(process.execPath, [path.join(ROOT, 'esbuild.js')], { cwd: ROOT, stdio: 'ignore' });
  built = true;
}

export interface CliProcess {
  readonly child: ChildProcess;
  readonly done: Promise<CliRun>;
}

/** Starts `node dist/cli.js ARGS` (stdin not a TTY), as a script, a CI job or another shell would. */
export function startBuiltCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): CliProcess {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...options.env };
  const child = spawn(process.execPath, [DIST_CLI, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({
        code,
        signal,
        stdout,
        stderr,
        json<T>() {
          try {
            return JSON.parse(stdout) as T;
          } catch {
            throw new Error(`stdout is not JSON (exit ${code}, signal ${signal}):\n${stdout}\nstderr:\n${stderr}`);
          }
        },
      }),
    );
  });
  return { child, done };
}

export function runBuiltCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return startBuiltCli(args, options).done;
}

/** A temporary workspace with `.breakwater/agents.yaml`. */
export function workspaceWith(agentsYaml: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-shared-')));
  fs.mkdirSync(path.join(dir, '.breakwater'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.breakwater', 'agents.yaml'), agentsYaml);
  return dir;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` holds (polling), or fails after `timeoutMs` saying what was awaited. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
