/**
 * Starts a real VS Code (code-server 4.100.3 = VS Code 1.100.3, installed by scripts/setup.sh) on 127.0.0.1, with a
 * fresh user-data and extensions directory and a throw-away COPY of a workspace, so no run sees or leaves state.
 * Used by the host tier, the e2e tier, the .vsix check and the demo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const codeServerDir = path.join(repoRoot, '.vscode-test', 'code-server');
export const codeServerEntry = path.join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const sampleWorkspace = path.join(repoRoot, 'test', 'fixtures', 'sample-workspace');

export interface CodeServerOptions {
  /** Folder copied into the temp dir and opened. Default: test/fixtures/sample-workspace. */
  readonly workspaceSource?: string;
  /** Extra environment for code-server and so for the extension host (e.g. BREAKWATER_FAKE_LLM_URL). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra command-line arguments placed before the workspace path. */
  readonly extraArgs?: readonly string[];
  /** Leave out --disable-workspace-trust (for tests of Restricted Mode). Default: false. */
  readonly keepWorkspaceTrust?: boolean;
  /** Where code-server's stdout/stderr go. Default: <tempDir>/code-server.log. */
  readonly logFile?: string;
  /**
   * Runs after the temp dirs exist and before code-server starts (e.g. to install a .vsix into `extensionsDir`);
   * may return more environment for code-server.
   */
  readonly beforeStart?: (dirs: { extensionsDir: string; userDataDir: string }) => Promise<Record<string, string> | void>;
  /** Keep code-server from reaching any extension gallery. Default: true (the demo turns it off). */
  readonly offline?: boolean;
  /** Port on 127.0.0.1. Default: a free one. */
  readonly port?: number;
  /** User settings written before start, over `quietSettings`. */
  readonly userSettings?: Readonly<Record<string, unknown>>;
  /** How long to wait for the server to answer HTTP, in milliseconds. Default: 60 s. */
  readonly readyTimeoutMs?: number;
}

export interface CodeServer {
  readonly url: string;
  readonly port: number;
  /** The temp dir holding the workspace copy, user data and extensions; removed by stop(). */
  readonly tempDir: string;
  /** The workspace copy that code-server opened. */
  readonly workspace: string;
  readonly extensionsDir: string;
  readonly logFile: string;
  /** URL that opens the workspace with the given VS Code payload (e.g. extensionDevelopmentPath). */
  urlWithPayload(payload: ReadonlyArray<readonly [string, string]>): string;
  /** A `vscode-remote://` URI for an absolute path on this machine, as payload entries need. */
  remoteUri(absolutePath: string): string;
  /** Kills code-server and its children, then removes the temp dir (unless keepTempDir). */
  stop(options?: { keepTempDir?: boolean }): Promise<void>;
}

/** Settings that keep a fresh profile from covering the workbench with a walkthrough, tips and telemetry notices. */
export const quietSettings: Readonly<Record<string, unknown>> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
};

/** Points the extension gallery at a closed local port, so tests never try to reach a marketplace. */
const offlineEnv: Readonly<Record<string, string>> = {
  EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: 'http://127.0.0.1:9/gallery', itemUrl: 'http://127.0.0.1:9/item' }),
};

export class HostSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HostSetupError';
  }
}
export const isHostSetupError = (e: unknown): e is HostSetupError => e instanceof HostSetupError;

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function assertCodeServerInstalled(): void {
  if (!fs.existsSync(codeServerEntry)) {
    throw new HostSetupError(`code-server is not installed (${path.relative(repoRoot, codeServerEntry)} is missing). Run: bash scripts/setup.sh`);
  }
}

export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  assertCodeServerInstalled();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakwater-host-'));
  const workspace = path.join(tempDir, 'workspace');
  fs.cpSync(options.workspaceSource ?? sampleWorkspace, workspace, { recursive: true });
  const userDataDir = path.join(tempDir, 'user-data');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietSettings, ...options.userSettings }, null, 2));
  const extensionsDir = path.join(tempDir, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  const logFile = options.logFile ?? path.join(tempDir, 'code-server.log');
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  let extraEnv: Record<string, string> = {};
  try {
    extraEnv = (await options.beforeStart?.({ extensionsDir, userDataDir })) ?? {};
  } catch (e) {
    fs.rmSync(tempDir, { recursive: true, force: true });
    throw e;
  }
  const port = options.port ?? (await freePort());

  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    ...(options.keepWorkspaceTrust ? [] : ['--disable-workspace-trust']),
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    ...(options.extraArgs ?? []),
    workspace,
  ];
  const log = fs.openSync(logFile, 'a');
  // detached: code-server gets its own process group, so stop() can kill it with its extension host and watchers.
  const child = spawn(process.execPath, args, {
    cwd: tempDir,
    // XDG_STATE_HOME: the sandbox's stub registry (and any store) in the temp dir, never the real home.
    env: { ...process.env, XDG_STATE_HOME: path.join(tempDir, 'state'), ...(options.offline === false ? {} : offlineEnv), ...options.env, ...extraEnv },
    stdio: ['ignore', log, log],
    detached: true,
  });
  fs.closeSync(log);
  const forgetOnExit = killGroupOnExit(child);
  const url = `http://127.0.0.1:${port}`;
  const stop = async ({ keepTempDir = false } = {}) => {
    forgetOnExit();
    await killGroup(child);
    if (!keepTempDir) fs.rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(url + '/healthz', child, options.readyTimeoutMs ?? 60_000, logFile);
  } catch (e) {
    await stop({ keepTempDir: true });
    throw e;
  }
  return {
    url,
    port,
    tempDir,
    workspace,
    extensionsDir,
    logFile,
    remoteUri: (p) => `vscode-remote://127.0.0.1:${port}${p}`,
    urlWithPayload: (payload) => `${url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
    stop,
  };
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new HostSetupError(`code-server exited with code ${exited} before it answered; see ${logFile}:\n${tail(logFile)}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new HostSetupError(`code-server did not answer ${url} within ${timeoutMs} ms; see ${logFile}:\n${tail(logFile)}`);
}

/** SIGTERM the whole process group, then SIGKILL what is left after 3 s. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // the group is already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
  signal('SIGKILL'); // children that outlived their parent (extension host, file watcher)
}

/**
 * If this process ends without calling stop() (an uncaught error, process.exit in a test runner), the child's group
 * still dies with it. Returns the function that removes the hook.
 */
export function killGroupOnExit(child: ChildProcess): () => void {
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.on('exit', kill);
  return () => process.off('exit', kill);
}

export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
