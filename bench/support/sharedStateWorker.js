// A contending process for bench/suites/sharedState.bench.ts: `node sharedStateWorker.js BUNDLE DIR START_AT CALLS PAUSE_MS [memory]`.
// Loads the production bundle, waits for START_AT (epoch ms, so every worker starts together), then makes CALLS
// admissions through the store folder's shared state — admit (limiter + breaker + budget reservation), finish,
// settle — with PAUSE_MS between admission and finish standing for the model call, and prints the microseconds
// each call spent in the shared state, as JSON. With `memory`, the same calls on this process's own state (the
// baseline: the same machine load, without the store).
const [bundle, dir, startAt, calls, pauseMs, mode] = process.argv.slice(2);
const core = require(bundle);
const rules = { threshold: 5, openMs: 30000, probeMaxMs: 300000, enabled: true };
const limiter = { limit: 1e9, tokenLimit: null, windowMs: 60000 + core.LIMITER_GUARD_MS, tokens: 5000 };
const budget = { usd: 0.001, scopes: [{ key: 'workspace', cap: 1e9 }], leaseMs: 60000 };
const state = mode === 'memory' ? new core.MemoryState(Date.now) : core.FileState.open({ dir, clock: Date.now, seed: core.emptyModel });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  while (Date.now() < Number(startAt)) await sleep(5);
  const samples = [];
  for (let i = 0; i < Number(calls); i++) {
    let t = process.hrtime.bigint();
    const c = await state.admit({ key: 'p:bench', breaker: rules, limiter, budget });
    let spent = process.hrtime.bigint() - t;
    if (Number(pauseMs) > 0) await sleep(Number(pauseMs));
    t = process.hrtime.bigint();
    await state.finish(c.claim, { result: 'success', ms: 1, count: true, rules });
    await state.settle(c.claim.id, 0.0005);
    spent += process.hrtime.bigint() - t;
    samples.push(Number(spent) / 1000);
  }
  process.stdout.write(JSON.stringify(samples));
  await state.close();
}
main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
