import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEST_STATE_HOME } from '../../fixtures/stateHome';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const BUILT_CLI = path.join(ROOT, 'dist', 'cli.js');

function newest(dir: string): number {
  let latest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? newest(p) : fs.statSync(p).mtimeMs);
  }
  return latest;
}

/** `dist/cli.js` as built from the current sources: rebuilt (esbuild, ~2 s) when any source is newer. */
export function ensureBuiltCli(): void {
  const built = fs.existsSync(BUILT_CLI) ? fs.statSync(BUILT_CLI).mtimeMs : 0;
  if (built >= newest(path.join(ROOT, 'src'))) return;
  const r = spawnSync(process.execPath, ['esbuild.js'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building dist/cli.js failed:\n${r.stdout}${r.stderr}`);
}

export interface BuiltCliRun {
  readonly child: ChildProcess;
  /** Resolves when the process has exited and its output is closed. */
  readonly done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Output so far (stderr carries the progress lines). */
  stderr(): string;
}

/** When the tests run as root: the prefix that runs a program as `nobody` (an ordinary user, unprivileged user namespaces). */
export const AS_NOBODY: readonly string[] = process.getuid?.() === 0 ? ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', '--'] : [];

/**
 * Starts `node dist/cli.js` as a user's shell would (no terminal), with exactly `env` plus a temp state
 * dir; `prefix` runs it through another program first (`AS_NOBODY`), which execs it (same pid).
 */
export function startBuiltCli(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv, prefix: readonly string[] = []): BuiltCliRun {
  const argv = [...prefix, process.execPath, BUILT_CLI, ...args];
  const child = spawn(argv[0], argv.slice(1), { cwd, env: { XDG_STATE_HOME: TEST_STATE_HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stderr: () => stderr };
}
