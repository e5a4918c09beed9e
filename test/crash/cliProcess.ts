import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replayRunLog } from '../../src/core/runs/runLog';
import type { RunEvent } from '../../src/core/runs/events';
import { builtCliEnv, type CliRun } from '../fixtures/builtCli';
import { testStoreOf } from '../fixtures/stateHome';
import { must } from '../fixtures/must';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

/** Runs the real CLI in its own process (stdin not a TTY), as a script or CI would. */
export function runCliProcess(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // The store and the user file default to the test's state and config dirs, never the real home.
    const env = builtCliEnv(options.env);
    // Node itself with tsx's loader, so a SIGKILL hits the CLI process and not a wrapper.
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), MAIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
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
}

export function makeWorkspace(agentsYaml: string, files: Record<string, string> = {}): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-cli-')));
  fs.mkdirSync(path.join(dir, '.breakwater'), { recursive: true });
  fs.writeFileSync(path.join(dir, '.breakwater', 'agents.yaml'), agentsYaml);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  return dir;
}

export function onlyRunId(workspace: string): string {
  const runs = fs.readdirSync(testStoreOf(workspace)).filter((n) => n.endsWith('.jsonl'));
  if (runs.length !== 1) throw new Error(`expected one run, found ${runs.join(', ')}`);
  return must(runs[0], 'runs[0]').slice(0, -'.jsonl'.length);
}

export function eventsOf(workspace: string, runId: string): RunEvent[] {
  return replayRunLog(path.join(testStoreOf(workspace), `${runId}.jsonl`)).events;
}

export { runBuiltCli, startBuiltCli, type CliRun } from '../fixtures/builtCli';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `check()` holds (polling), or fails after `timeoutMs` saying what was awaited. */
export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
