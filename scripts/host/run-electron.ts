/**
 * `npm run test:host:electron`: the same bundled host suite under desktop VS Code through @vscode/test-electron, for
 * machines that can download VS Code (these cannot: here the download fails, and `npm run test:host` is the tier).
 * Env: BW_VSCODE_VERSION picks the version (default 1.100.3, the one engines.vscode and code-server match).
 */
import { runTests } from '@vscode/test-electron';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildHostTests, hostTestsEntry } from './buildHostTests';
import { repoRoot, sampleWorkspace } from './codeServer';
import { fakeLlmAvailable, fakeLlmEnvVar, startFakeLlmProcess, type FakeLlmProcess } from './fakeLlmProcess';
import { printHostResults, writeSummary, type HostResults } from './hostSession';

async function main(): Promise<number> {
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the extension failed (node esbuild.js)');
  await buildHostTests();
  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'breakwater-electron-'));
  const workspace = path.join(tempDir, 'workspace');
  fs.cpSync(sampleWorkspace, workspace, { recursive: true });
  const resultsFile = path.join(tempDir, 'results.json');
  let fake: FakeLlmProcess | undefined;
  try {
    const env: Record<string, string> = { BREAKWATER_HOST_RESULTS: resultsFile };
    if (fakeLlmAvailable()) {
      fake = await startFakeLlmProcess();
      env[fakeLlmEnvVar] = fake.url;
    }
    const exitCode = await runTests({
      version: process.env.BW_VSCODE_VERSION ?? '1.100.3',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: hostTestsEntry,
      extensionTestsEnv: env,
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(tempDir, 'user-data')],
    }).catch((e: unknown) => {
      // runTests rejects both when VS Code cannot be downloaded and when the suite fails; the results file tells which.
      if (!fs.existsSync(resultsFile)) throw e;
      return 1;
    });
    if (!fs.existsSync(resultsFile)) throw new Error(`VS Code exited with ${exitCode} without reporting results`);
    const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as HostResults;
    printHostResults('host suite (desktop VS Code)', results);
    writeSummary(path.join(repoRoot, 'test-results', 'host-electron.json'), results);
    return results.failed === 0 && results.passed > 0 ? 0 : 1;
  } finally {
    await fake?.stop();
    fs.rmSync(tempDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`\n✘ test:host:electron: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
