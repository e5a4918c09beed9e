/**
 * Loaded by VS Code's extension host as `extensionTestsPath` (bundled by the activation suite): times
 * `activate()` of Breakwater in the real host — loading dist/extension.js and running its `activate` —
 * and writes the figure to BREAKWATER_HOST_RESULTS for the harness that waits for it.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

export async function run(): Promise<void> {
  const file = process.env.BREAKWATER_HOST_RESULTS;
  if (!file) throw new Error('BREAKWATER_HOST_RESULTS is not set: run this through the bench activation suite');
  const ext = vscode.extensions.getExtension('breakwater.breakwater');
  const base = { passed: 0, failed: 1, pending: 0, vscodeVersion: vscode.version, appName: vscode.env.appName };
  if (!ext) {
    fs.writeFileSync(file, JSON.stringify({ ...base, failures: [{ title: 'activation', error: 'breakwater.breakwater is not loaded' }] }));
    return;
  }
  const wasActive = ext.isActive;
  const t0 = performance.now();
  try {
    await ext.activate();
  } catch (e) {
    fs.writeFileSync(file, JSON.stringify({ ...base, failures: [{ title: 'activation', error: e instanceof Error ? (e.stack ?? e.message) : String(e) }] }));
    return;
  }
  const activationMs = performance.now() - t0;
  fs.writeFileSync(file, JSON.stringify({ ...base, passed: 1, failed: 0, failures: [], activationMs, wasActive }));
}
