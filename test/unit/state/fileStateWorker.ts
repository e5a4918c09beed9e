import { FileState } from '../../../src/core/state/fileState';
import { emptyModel } from '../../../src/core/state/stateModel';

/**
 * A child process for fileState.test.ts: hammers one store's shared state with admissions (tiny segments, so
 * it is sealed and replaced many times while others write), then prints what it was granted and what it sees.
 * argv: dir, calls, limit, windowMs, maxSegmentBytes.
 */
async function main(): Promise<void> {
  const [dir, calls, limit, windowMs, maxBytes] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: fileStateWorker DIR CALLS LIMIT WINDOW_MS MAX_BYTES');
  const state = FileState.open({ dir, clock: () => Date.now(), seed: emptyModel, maxSegmentBytes: Number(maxBytes) });
  const br = { threshold: 1_000_000, openMs: 1000, probeMaxMs: 1000, enabled: true };
  const slots: number[] = [];
  const outcomes: [string, string][] = [];
  for (let i = 0; i < Number(calls); i++) {
    const c = await state.admit({ key: 'p:x', breaker: br, limiter: { limit: Number(limit), tokenLimit: null, windowMs: Number(windowMs), tokens: 0 }, budget: { usd: 0.01, scopes: [{ key: 'workspace', cap: 1e9 }], leaseMs: 60_000 } });
    if (c.kind === 'refused') throw new Error(`refused: ${JSON.stringify(c)}`);
    outcomes.push([c.claim.id, c.kind]);
    slots.push(c.claim.slot);
    if (c.kind === 'granted') await state.finish(c.claim, { result: 'success', ms: 1, count: true, rules: br });
    else await state.cancel(c.claim).then(() => slots.pop());
    await state.settle(c.claim.id, 0.01);
  }
  await state.close();
  process.stdout.write(JSON.stringify({ slots, outcomes, warnings: state.warningsSoFar }));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exit(1);
});
