import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replayRunLog } from '../../src/core/runs/runLog';
import type { RunEvent } from '../../src/core/runs/events';
import { TEST_STATE_HOME, testStoreOf } from '../fixtures/stateHome';

const ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  json<T = Record<string, unknown>>(): T;
}

/** Runs the real CLI in its own process (stdin not a TTY), as a script or CI would. */
export function runCliProcess(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    // The store defaults to the user's state dir: a temp one, never the real home.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), XDG_STATE_HOME: TEST_STATE_HOME, ...options.env };
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
  return runs[0].slice(0, -'.jsonl'.length);
}

export function eventsOf(workspace: string, runId: string): RunEvent[] {
  return replayRunLog(path.join(testStoreOf(workspace), `${runId}.jsonl`)).events;
}

let built: Promise<string> | undefined;

/**
 * The CLI bundled as it ships (`dist/cli.js`'s esbuild options), built once per test process into
 * `out/test-cli/<pid>/` so the tests never run a stale `dist/`. Starts in ~0.2 s instead of tsx's ~1 s,
 * which is what lets the race tests start many real processes.
 */
export function builtCli(): Promise<string> {
  built ??= (async () => {
    const esbuild = await import('esbuild');
    const dir = path.join(ROOT, 'out', 'test-cli', String(process.pid));
    fs.mkdirSync(dir, { recursive: true });
    process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    const outfile = path.join(dir, 'cli.js');
    await esbuild.build({ entryPoints: [MAIN], outfile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning', legalComments: 'none' });
    // The shell parser is required from next to the bundle, as from dist/.
    fs.copyFileSync(path.join(ROOT, 'node_modules', 'mvdan-sh', 'index.js'), path.join(dir, 'mvdan-sh.js'));
    return outfile;
  })();
  return built;
}

/** Starts the built CLI (see `builtCli`) without waiting: for tests that signal it or race several. */
export async function spawnBuiltCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ child: ReturnType<typeof spawn>; done: Promise<CliRun> }> {
  const cli = await builtCli();
  // The store defaults to the user's state dir: a temp one, never the real home.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), XDG_STATE_HOME: TEST_STATE_HOME, ...options.env };
  const child = spawn(process.execPath, [cli, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
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

/** Runs the built CLI to the end. */
export async function runBuiltCli(args: readonly string[], options: { cwd: string; env?: Record<string, string> }): Promise<CliRun> {
  return (await spawnBuiltCli(args, options)).done;
}
