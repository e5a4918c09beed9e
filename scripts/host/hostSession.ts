/**
 * One run of the host suite inside a real VS Code: starts the fake LLM server and code-server, opens the
 * extensionDevelopmentPath + extensionTestsPath payload in headless Chromium, waits for the suite's results file,
 * and always stops everything it started. Shared by `npm run test:host` and `npm run test:vsix`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium';
import { HostSetupError, repoRoot, startCodeServer, tail, type CodeServerOptions } from './codeServer';
import { fakeLlmAvailable, fakeLlmEnvVar, startFakeLlmProcess, type FakeLlmProcess } from './fakeLlmProcess';

export interface HostResults {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  tests?: { title: string; state: 'passed' | 'failed' | 'pending'; durationMs?: number }[];
  vscodeVersion?: string;
  appName?: string;
}

export interface HostSessionOptions {
  /** Absolute path of the bundled suite entry (exports run()). */
  readonly testsEntry: string;
  /** The extension to load as in development. Omit when the extension is installed into `extensionsDir` instead. */
  readonly extensionDevelopmentPath?: string;
  /** Prepares code-server's dirs before it starts (e.g. installs a .vsix); may return more environment. */
  readonly beforeStart?: CodeServerOptions['beforeStart'];
  /** Extra code-server arguments. */
  readonly extraArgs?: readonly string[];
  /** Extra environment for code-server and the extension host. */
  readonly env?: Readonly<Record<string, string>>;
  /** Leave Workspace Trust on: the folder opens in Restricted Mode (never prompted). Default: off (trusted). */
  readonly keepWorkspaceTrust?: boolean;
  /** How long the whole suite may take once the page is open, in milliseconds. Default: 300 s (BW_HOST_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Logs (code-server, browser console) go here as `<logPrefix>-code-server.log` and `<logPrefix>-browser.log`. */
  readonly logPrefix: string;
}

export async function runHostSession(options: HostSessionOptions): Promise<HostResults> {
  const timeoutMs = options.timeoutMs ?? Number(process.env.BW_HOST_TIMEOUT_MS ?? 300_000);
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => console.error('cleanup:', e));
    cleanups.length = 0;
  };
  // Ctrl-C or a CI kill must not leave code-server or Chromium behind.
  const onSignal = (signal: NodeJS.Signals) => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const env: Record<string, string> = { ...options.env };
    const resultsDir = fs.mkdtempSync(path.join(repoRoot, 'out', 'host-results-'));
    cleanups.push(async () => fs.rmSync(resultsDir, { recursive: true, force: true }));
    // The user scope of the session: its own agents file (never the real user's), pointing at the fake LLM server.
    const userConfig = path.join(resultsDir, 'user', 'agents.yaml');
    env.BREAKWATER_USER_CONFIG = userConfig;
    if (fakeLlmAvailable()) {
      const fake: FakeLlmProcess = await startFakeLlmProcess();
      cleanups.push(() => fake.stop());
      env[fakeLlmEnvVar] = fake.url;
      fs.mkdirSync(path.dirname(userConfig), { recursive: true });
      fs.writeFileSync(userConfig, userScopeYaml(fake.url));
    }
    const resultsFile = path.join(resultsDir, 'results.json');
    env.BREAKWATER_HOST_RESULTS = resultsFile;

    const logFile = `${options.logPrefix}-code-server.log`;
    fs.rmSync(logFile, { force: true });
    const server = await startCodeServer({
      env,
      logFile,
      extraArgs: options.extraArgs ?? [],
      ...(options.keepWorkspaceTrust ? { keepWorkspaceTrust: true, userSettings: { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' } } : {}),
      ...(options.beforeStart ? { beforeStart: options.beforeStart } : {}),
    });
    cleanups.push(() => server.stop());

    const browser: Browser = await launchChromium();
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const browserLog = fs.createWriteStream(`${options.logPrefix}-browser.log`);
    cleanups.push(() => new Promise<void>((r) => browserLog.end(r)));
    page.on('console', (m) => browserLog.write(`[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', (e) => browserLog.write(`[pageerror] ${e.stack ?? e.message}\n`));

    const payload: [string, string][] = [['extensionTestsPath', server.remoteUri(options.testsEntry)]];
    if (options.extensionDevelopmentPath) payload.unshift(['extensionDevelopmentPath', server.remoteUri(options.extensionDevelopmentPath)]);
    const started = Date.now();
    await page.goto(server.urlWithPayload(payload));

    const results = await waitForResults(resultsFile, timeoutMs, () =>
      `code-server log (${logFile}):\n${tail(logFile)}\nbrowser console: ${options.logPrefix}-browser.log`,
    );
    console.log(`host suite finished ${((Date.now() - started) / 1000).toFixed(1)} s after the page opened`);
    return results;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * The user-scope agents file of a host session: the fake LLM server as the Anthropic and OpenAI endpoints (a user's
 * own settings need no confirmation). Ollama is left to the workspace files the trust tests write.
 */
export function userScopeYaml(fakeUrl: string): string {
  return ['# User scope of a host-test session (BREAKWATER_USER_CONFIG): endpoints of the fake LLM server.', 'providers:', `  anthropic: { base_url: "${fakeUrl}" }`, `  openai: { base_url: "${fakeUrl}/v1" }`, ''].join('\n');
}

async function waitForResults(file: string, timeoutMs: number, diagnostics: () => string): Promise<HostResults> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) {
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as HostResults;
      } catch (e) {
        throw new HostSetupError(`the host suite wrote an unreadable results file ${file}`, { cause: e });
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new HostSetupError(
    `the extension host never reported results within ${timeoutMs / 1000} s (did the suite load? did run() hang?).\n${diagnostics()}`,
  );
}

/** Prints one line per test and the failures with their stacks; returns the summary written to test-results. */
export function printHostResults(label: string, results: HostResults): void {
  console.log(`\n${label} in ${results.appName ?? '?'} (VS Code ${results.vscodeVersion ?? '?'})`);
  for (const t of results.tests ?? []) {
    const mark = t.state === 'passed' ? '✔' : t.state === 'failed' ? '✘' : '-';
    console.log(`  ${mark} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
  }
  for (const f of results.failures) console.log(`\n  ✘ ${f.title}\n    ${f.error.split('\n').join('\n    ')}`);
  console.log(`\n${results.passed} passing, ${results.failed} failing${results.pending ? `, ${results.pending} pending` : ''}`);
}

/** Writes the {passed, failed, pending, failures} summary test-all.mjs adds up. */
export function writeSummary(file: string, results: HostResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const { passed, failed, pending, failures } = results;
  fs.writeFileSync(file, JSON.stringify({ passed, failed, pending, failures }, null, 2));
}
