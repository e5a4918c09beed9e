import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startRedis } from '../../test/fixtures/redis/redisServer';
import { type BenchResult, type BenchSuite, quick, spread, type Spread } from '../harness';

type Core = typeof import('../support/sharedStateEntry');
type State = import('../../src/core/state/sharedState').SharedState;

/**
 * What the shared state adds to a model call: one admission (breaker check, rate-limit slot, budget
 * reservation, breaker permit), then the attempt's end and the budget settlement — through the store folder
 * (one process, then eight processes contending for it) and through Redis on loopback, against the same
 * operations on the in-process state of one process (`MemoryState`), measured in the same run.
 */
const CALLS = quick() ? 300 : 2_000;
const WORKERS = 8;
const PAUSE_MS = 2;
const rules = { threshold: 5, openMs: 30_000, probeMaxMs: 300_000, enabled: true };

async function perCall(core: Core, state: State, calls: number, pauseMs = 0): Promise<number[]> {
  const limiter = { limit: 1e9, tokenLimit: null, windowMs: 60_000 + core.LIMITER_GUARD_MS, tokens: 5000 };
  const budget = { usd: 0.001, scopes: [{ key: 'workspace', cap: 1e9 }], leaseMs: 60_000 };
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    let t = process.hrtime.bigint();
    const c = await state.admit({ key: 'p:bench', breaker: rules, limiter, budget });
    let spent = process.hrtime.bigint() - t;
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    t = process.hrtime.bigint();
    await state.finish(c.claim, { result: 'success', ms: 1, count: true, rules });
    await state.settle(c.claim.id, 0.0005);
    spent += process.hrtime.bigint() - t;
    samples.push(Number(spent) / 1000);
  }
  return samples;
}

function worker(bundle: string, dir: string, startAt: number, calls: number, pauseMs: number, mode: 'file' | 'memory'): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, '..', 'support', 'sharedStateWorker.js'), bundle, dir, String(startAt), String(calls), String(pauseMs), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

/** Eight processes on one store at once (or, for `memory`, each on its own in-process state); every one's per-call figures. */
async function contended(bundle: string, pauseMs: number, mode: 'file' | 'memory'): Promise<Spread> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-state-'));
  try {
    const startAt = Date.now() + 1500;
    const all = await Promise.all(Array.from({ length: WORKERS }, () => worker(bundle, dir, startAt, Math.round(CALLS / 2), pauseMs, mode)));
    return spread(all.flatMap((s) => s.slice(20)));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: 'sharedState',
  async run(): Promise<BenchResult[]> {
    const { loadProductionModule } = await import('../support/productionBundle');
    const core = await loadProductionModule<Core>('bench/support/sharedStateEntry.ts');
    const bundle = path.resolve(__dirname, '..', '..', 'out', 'bench', 'bench_support_sharedStateEntry.js');
    const memory = new core.MemoryState(Date.now);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-state-'));
    const file = core.FileState.open({ dir, clock: Date.now, seed: core.emptyModel });
    const results: BenchResult[] = [];
    const partial = (err: unknown) => Object.assign(err instanceof Error ? err : new Error(String(err)), { partial: results });
    try {
      // Interleaved rounds so drift in machine load (2 shared cores) spreads over both.
      const mem: number[] = [];
      const one: number[] = [];
      await perCall(core, memory, 100);
      await perCall(core, file, 100);
      for (let round = 0; round < 10; round++) {
        mem.push(...(await perCall(core, memory, CALLS / 10)));
        one.push(...(await perCall(core, file, CALLS / 10)));
      }
      const baseline = { name: 'in-process state (one process)', figure: spread(mem) };
      results.push({
        name: 'sharedState: store folder, one process (admit + finish + settle per call)',
        unit: 'µs/call',
        figure: spread(one),
        baseline,
        bar: { on: 'added', max: 300, unit: 'µs' },
        note: 'limiter slot + breaker permit + budget reservation, then the attempt end and the settlement: 3 appends and reads',
      });
      // The baseline runs the same eight processes with the same pauses on their own in-process state, so
      // the machine's load (eight processes waking every few ms on a few cores) is in both figures.
      const busyMemory = await contended(bundle, PAUSE_MS, 'memory');
      const busy = await contended(bundle, PAUSE_MS, 'file');
      results.push({
        name: `sharedState: store folder, ${WORKERS} processes contending (${PAUSE_MS} ms per "model call")`,
        unit: 'µs/call',
        figure: busy,
        baseline: { name: `in-process state, ${WORKERS} processes alike`, figure: busyMemory },
        bar: { on: 'added', max: 300, unit: 'µs' },
        note: `${WORKERS} processes × ${Math.round(CALLS / 2)} calls on one store at once; each folds every other's records`,
      });
      const tightMemory = await contended(bundle, 0, 'memory');
      const tight = await contended(bundle, 0, 'file');
      results.push({
        name: `sharedState: store folder, ${WORKERS} processes in a tight loop`,
        unit: 'µs/call',
        figure: tight,
        baseline: { name: `in-process state, ${WORKERS} processes alike`, figure: tightMemory },
        bar: { on: 'added', max: 300, unit: 'µs' },
        note: `${WORKERS} processes on ${os.cpus().length} cores doing nothing but admissions (about ${Math.round(1e6 / Math.max(1, tight.median) / 1000)}k per second each)`,
      });
    } catch (err) {
      throw partial(err);
    } finally {
      await file.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    let server: Awaited<ReturnType<typeof startRedis>>;
    try {
      server = await startRedis();
    } catch (err) {
      throw partial(new Error(`redis-server could not start (install the Debian package redis-server): ${(err as Error).message}`));
    }
    try {
      const redis = await core.RedisState.open({ url: server.url });
      await perCall(core, redis, 100);
      const mem = await perCall(core, memory, CALLS);
      const r = await perCall(core, redis, CALLS);
      results.push({
        name: 'sharedState: Redis on loopback, one process (admit + finish + settle per call)',
        unit: 'µs/call',
        figure: spread(r),
        baseline: { name: 'in-process state (one process)', figure: spread(mem) },
        bar: { on: 'added', max: 1000, unit: 'µs' },
        note: 'three Lua scripts (one round trip each) on a local redis-server',
      });
      await redis.close();
    } catch (err) {
      throw partial(err);
    } finally {
      await server.stop();
    }
    return results;
  },
};
