/**
 * The mocha runner that VS Code's extension host loads through `extensionTestsPath` (code-server via
 * scripts/host/run-host.ts, or desktop VS Code via scripts/host/run-electron.mjs). It runs every bundled
 * `*.test.js` next to it (built from test/host/**\/*.test.ts by scripts/host/buildHostTests.ts) inside the real host,
 * then writes the results to the file named by BREAKWATER_HOST_RESULTS for the harness that waits for it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { HostResultsRecorder, resultsFileFromEnv } from './support/results';

/** Bundled test files under this directory, in a stable order. */
function findTestFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.js'))
    .sort()
    .map((f) => path.join(dir, f));
}

export async function run(): Promise<void> {
  const resultsFile = resultsFileFromEnv();
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: 'spec' });
  const files = findTestFiles(__dirname);
  for (const file of files) mocha.addFile(file);

  const recorder = new HostResultsRecorder(resultsFile);
  const host = { vscodeVersion: vscode.version, appName: vscode.env.appName };
  let failed: number;
  try {
    if (files.length === 0) throw new Error(`no *.test.js files under ${__dirname}: build them with npm run build:host-tests`);
    await mocha.loadFilesAsync();
    failed = await new Promise<number>((resolve) => recorder.attach(mocha.run(resolve)));
  } catch (error) {
    // A test file that throws while loading is a failed run, reported like one, never a silent hang of the harness.
    recorder.recordLoadError(error);
    recorder.write(host);
    throw error;
  }
  recorder.write(host);
  if (failed > 0) throw new Error(`${failed} host test(s) failed`);
}
