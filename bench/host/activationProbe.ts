/**
 * Loaded by VS Code's extension host as `extensionTestsPath` (bundled by the activation suite): times
 * `activate()` of Breakwater and of the empty baseline extension (bench/fixtures/empty-extension, installed
 * into the same host) — loading each one's main module and running its `activate` — and writes the figures
 * to BREAKWATER_HOST_RESULTS for the harness that waits for it. A second copy of the empty extension is activated
 * before both, so neither pays for the host's first activation; BENCH_ACTIVATION_ORDER=empty-first then activates
 * the baseline before Breakwater (the suite alternates the order).
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';

export const BREAKWATER_ID = 'breakwater.breakwater';
export const EMPTY_ID = 'breakwater-bench.bench-empty-extension';
/** A second copy of the empty extension, activated first: the host's first activation costs more than any later one. */
export const WARMUP_ID = 'breakwater-bench.bench-empty-warmup';

export async function run(): Promise<void> {
  const file = process.env.BREAKWATER_HOST_RESULTS;
  if (!file) throw new Error('BREAKWATER_HOST_RESULTS is not set: run this through the bench activation suite');
  const base = { passed: 0, failed: 1, pending: 0, vscodeVersion: vscode.version, appName: vscode.env.appName };
  const fail = (error: string) => fs.writeFileSync(file, JSON.stringify({ ...base, failures: [{ title: 'activation', error }] }));
  const breakwater = vscode.extensions.getExtension(BREAKWATER_ID);
  const empty = vscode.extensions.getExtension(EMPTY_ID);
  const warmup = vscode.extensions.getExtension(WARMUP_ID);
  if (!breakwater) return fail(`${BREAKWATER_ID} is not loaded`);
  if (!empty || !warmup) return fail(`${empty ? WARMUP_ID : EMPTY_ID} (a copy of bench/fixtures/empty-extension) is not installed in this host`);
  const wasActive = breakwater.isActive;
  const emptyWasActive = empty.isActive;
  const time = async (ext: vscode.Extension<unknown>): Promise<number> => {
    const t0 = performance.now();
    await ext.activate();
    return performance.now() - t0;
  };
  const emptyFirst = process.env.BENCH_ACTIVATION_ORDER === 'empty-first';
  try {
    const warmupMs = await time(warmup);
    let emptyMs = emptyFirst ? await time(empty) : 0;
    const activationMs = await time(breakwater);
    if (!emptyFirst) emptyMs = await time(empty);
    // What Breakwater's own activate() body measured, if its API still reports it (the rest is loading and the host).
    const own = (breakwater.exports as { activationMs?: unknown } | undefined)?.activationMs;
    const ownMs = typeof own === 'number' ? own : undefined;
    fs.writeFileSync(file, JSON.stringify({ ...base, passed: 1, failed: 0, failures: [], activationMs, emptyMs, warmupMs, ownMs, wasActive, emptyWasActive, order: emptyFirst ? 'empty-first' : 'breakwater-first' }));
  } catch (e) {
    fail(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
}
