/**
 * Runs the bundled mocha files under `dir` inside the extension host and writes the results to the file named by
 * BREAKWATER_HOST_RESULTS (see results.ts). Rejects when a test failed, so desktop VS Code
 * (@vscode/test-electron) exits non-zero too.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';
import { HostResultsRecorder, resultsFileFromEnv } from './results';

/** Bundled test files under `dir` whose names end with `suffix`, in a stable order. */
function findTestFiles(dir: string, suffix: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => path.join(dir, f));
}

export interface RunSuiteOptions {
  /** Folder holding the bundled files. */
  readonly dir: string;
  /** File name ending that marks a test file. Default: `.test.js`. */
  readonly suffix?: string;
  /** Per-test timeout, in milliseconds. Default: 30 s. */
  readonly timeoutMs?: number;
}

export async function runSuite(options: RunSuiteOptions): Promise<void> {
  const suffix = options.suffix ?? '.test.js';
  const mocha = new Mocha({ ui: 'bdd', timeout: options.timeoutMs ?? 30_000, color: false, reporter: 'spec' });
  const files = findTestFiles(options.dir, suffix);
  for (const file of files) mocha.addFile(file);

  const recorder = new HostResultsRecorder(resultsFileFromEnv());
  const host = { vscodeVersion: vscode.version, appName: vscode.env.appName };
  let failed: number;
  try {
    if (files.length === 0) throw new Error(`no *${suffix} files under ${options.dir}: build them first (npm run build:host-tests)`);
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
