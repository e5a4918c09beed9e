/**
 * Runs the project's fake LLM server (test/fixtures/fake-llm/main.ts) as its own process, so the extension host in
 * code-server can reach it over HTTP. Tests script it through its `/__control/*` API at `url`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HostSetupError, killGroup, killGroupOnExit, repoRoot } from './codeServer';

export const fakeLlmMain = path.join(repoRoot, 'test', 'fixtures', 'fake-llm', 'main.ts');

export interface FakeLlmProcess {
  /** http://127.0.0.1:PORT: the Anthropic base URL, the Ollama host; `${url}/v1` for OpenAI. */
  readonly url: string;
  stop(): Promise<void>;
}

/** The environment variable that tells the extension host (and host tests) where the fake server listens. */
export const fakeLlmEnvVar = 'BREAKWATER_FAKE_LLM_URL';

export function fakeLlmAvailable(): boolean {
  return fs.existsSync(fakeLlmMain);
}

/**
 * Starts the fake server on a free port and resolves once it printed its URL.
 * @param timeoutMs how long to wait for `FAKE_LLM_URL=...`, in milliseconds. Default: 30 s (tsx compiles on first start).
 */
export function startFakeLlmProcess(timeoutMs = 30_000): Promise<FakeLlmProcess> {
  const tsxCli = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const child: ChildProcess = spawn(process.execPath, [tsxCli, fakeLlmMain, '--port', '0'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const forgetOnExit = killGroupOnExit(child);
  const stop = () => {
    forgetOnExit();
    return killGroup(child);
  };
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop();
      reject(new HostSetupError(`fake LLM server: ${why}${stderr ? `\n${stderr}` : ''}`));
    };
    const timer = setTimeout(() => fail(`printed no FAKE_LLM_URL within ${timeoutMs} ms`), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => fail(`exited with code ${code} before it was ready`));
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /FAKE_LLM_URL=(\S+)/.exec(stdout);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({ url: match[1], stop });
    });
  });
}
