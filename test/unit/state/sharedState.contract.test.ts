import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BreakerRules } from '../../../src/core/state/circuitBreaker';
import { FileState } from '../../../src/core/state/fileState';
import { MemoryState } from '../../../src/core/state/foldingState';
import type { LimiterRules } from '../../../src/core/state/records';
import { RedisState } from '../../../src/core/state/redisState';
import type { SharedState } from '../../../src/core/state/sharedState';
import { emptyModel } from '../../../src/core/state/stateModel';
import { useRedis } from '../../fixtures/redis/redisServer';
import { must } from '../../fixtures/must';

/**
 * The same scenarios against every backend, with two "processes" (two independent instances over one store
 * folder, or two Redis clients) wherever the backend is shared: the shared limits (admission, spend, breakers) hold for each.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rules = (over: Partial<BreakerRules> = {}): BreakerRules => ({ threshold: 2, openMs: 300, probeMaxMs: 5_000, enabled: true, ...over });
const lim = (over: Partial<LimiterRules> = {}): LimiterRules => ({ limit: 2, tokenLimit: null, windowMs: 1_500, tokens: 0, ...over });
type Pair = { a: SharedState; b: SharedState };

const backends: Record<string, { make(): Promise<Pair>; shared: boolean }> = {
  memory: {
    shared: false,
    make: async () => {
      const s = new MemoryState(() => Date.now());
      return { a: s, b: s };
    },
  },
  file: {
    shared: true,
    make: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-state-'));
      const open = () => FileState.open({ dir, clock: () => Date.now(), seed: emptyModel });
      return { a: open(), b: open() };
    },
  },
};

describe('SharedState contract: limiter, breaker, budget, the same in every backend', function () {
  this.timeout(30_000);
  const redis = useRedis();
  const all: Record<string, { make(): Promise<Pair>; shared: boolean }> = {
    ...backends,
    redis: { shared: true, make: async () => ({ a: await RedisState.open({ url: redis().url }), b: await RedisState.open({ url: redis().url }) }) },
  };
  const opened: SharedState[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  for (const [name, backend] of Object.entries(all)) {
    describe(name, () => {
      const pair = async () => {
        const p = await backend.make();
        opened.push(p.a);
        if (p.b !== p.a) opened.push(p.b);
        return p;
      };

      it('limiter: no window holds more than the limit; later callers get FIFO slots; a cancelled slot is given again', async () => {
        const { a, b } = await pair();
        const admit = (s: SharedState) => s.admit({ key: 'p:x', breaker: rules(), limiter: lim() });
        const c1 = await admit(a);
        const c2 = await admit(b);
        const c3 = await admit(a);
        const c4 = await admit(b);
        assert.deepEqual([c1.kind, c2.kind, c3.kind, c4.kind], ['granted', 'granted', 'queued', 'queued']);
        assert.ok(c3.claim.slot - c1.claim.slot >= 1_500, `third slot ${c3.claim.slot - c1.claim.slot} ms after the first`);
        assert.ok(c3.kind === 'queued' && c3.waitMs > 1_000 && c3.waitMs <= 1_500, 'told how long to wait, on the backend\'s clock');
        assert.ok(c4.claim.slot >= c3.claim.slot && c4.claim.slot - c2.claim.slot >= 1_500, 'FIFO, and the window of the second');
        assert.equal(b.view().limiters['p:x']?.queued, 2, 'both processes see two waiting');
        await a.cancel(c3.claim);
        const c5 = await admit(b);
        assert.equal(c5.kind, 'queued');
        assert.ok(c5.claim.slot <= c4.claim.slot + 1, 'the cancelled slot went to the next in line, not past the end');
        // Every slot, sorted: no 1.5 s window holds more than two.
        const slots = [c1, c2, c4, c5].map((c) => c.claim.slot).sort((x, y) => x - y);
        for (let i = 2; i < slots.length; i++) assert.ok(must(slots[i], 'slots[i]') - must(slots[i - 2], 'slots[i - 2]') >= 1_500, `slots ${slots.join(', ')}`);
      });

      it('limiter: tokens per window hold too, and a call bigger than the whole allowance runs alone', async () => {
        const { a, b } = await pair();
        const t1 = await a.admit({ key: 'p:t', breaker: rules(), limiter: lim({ limit: 100, tokenLimit: 1000, tokens: 600 }) });
        const t2 = await b.admit({ key: 'p:t', breaker: rules(), limiter: lim({ limit: 100, tokenLimit: 1000, tokens: 600 }) });
        assert.equal(t1.kind, 'granted');
        assert.equal(t2.kind, 'queued');
        assert.ok(t2.claim.slot - t1.claim.slot >= 1_500);
        const big = await a.admit({ key: 'p:t', breaker: rules(), limiter: lim({ limit: 100, tokenLimit: 1000, tokens: 5000 }) });
        assert.ok(big.claim.slot - t2.claim.slot >= 1_500, 'waits for an empty window instead of for ever');
      });

      it('breaker: failures are counted across processes; the threshold opens it for everyone', async () => {
        const { a, b } = await pair();
        const fail = async (s: SharedState) => {
          const c = await s.admit({ key: 'p:e', breaker: rules() });
          assert.equal(c.kind, 'granted');
          return s.finish(c.claim, { result: 'failure', ms: 5, count: true, rules: rules(), reason: 'server: 500' });
        };
        assert.equal((await fail(a)).state, 'closed');
        assert.equal((await fail(b)).state, 'open');
        const refused = await a.admit({ key: 'p:e', breaker: rules() });
        assert.equal(refused.kind, 'refused');
        assert.equal(refused.kind === 'refused' && refused.by === 'breaker' && refused.state, 'open');
        const seen = a.backend === 'redis' ? await a.refresh() : a.view();
        assert.deepEqual([seen.breakers['p:e']?.snap.state, seen.breakers['p:e']?.calls, seen.breakers['p:e']?.failures], ['open', 2, 2]);
      });

      it('breaker: after the timeout exactly one of many concurrent callers probes; the rest fail fast; its success closes it for all', async () => {
        const { a, b } = await pair();
        for (const s of [a, b]) {
          const c = await s.admit({ key: 'p:p', breaker: rules() });
          await s.finish(c.claim, { result: 'failure', ms: 1, count: true, rules: rules(), reason: 'down' });
        }
        await sleep(350);
        const tries = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).admit({ key: 'p:p', breaker: rules() })));
        const probes = tries.filter((t) => t.kind === 'granted' && t.permit === 'probe');
        assert.equal(probes.length, 1, JSON.stringify(tries.map((t) => t.kind)));
        assert.ok(tries.filter((t) => t !== probes[0]).every((t) => t.kind === 'refused' && t.by === 'breaker' && t.state === 'half_open'));
        const probe = must(probes[0], 'probe');
        const holder = tries.indexOf(probe) % 2 ? a : b;
        assert.equal((await holder.finish(probe.claim, { result: 'success', ms: 3, count: true, rules: rules() })).state, 'closed');
        const other = holder === a ? b : a;
        assert.equal((await other.admit({ key: 'p:p', breaker: rules() })).kind, 'granted');
      });

      it('breaker: a cancelled probe hands the turn on at once; a lost probe (its process died) is replaced after its worst case', async () => {
        const { a, b } = await pair();
        const r = rules({ threshold: 1, probeMaxMs: 300 });
        const c = await a.admit({ key: 'p:l', breaker: r });
        await a.finish(c.claim, { result: 'failure', ms: 1, count: true, rules: r, reason: 'down' });
        await sleep(350);
        const p1 = await a.admit({ key: 'p:l', breaker: r });
        assert.equal(p1.kind === 'granted' && p1.permit, 'probe');
        await a.finish(p1.claim, { result: 'released', ms: 1, count: true, rules: r });
        const p2 = await b.admit({ key: 'p:l', breaker: r });
        assert.equal(p2.kind === 'granted' && p2.permit, 'probe', 'the next caller probes without waiting');
        // p2's process "dies": nobody finishes it. Others fail fast until its worst case has passed.
        const during = await a.admit({ key: 'p:l', breaker: r });
        assert.equal(during.kind === 'refused' && during.by === 'breaker' && during.state, 'half_open');
        await sleep(350);
        const p3 = await a.admit({ key: 'p:l', breaker: r });
        assert.equal(p3.kind === 'granted' && p3.permit, 'probe');
      });

      it('budget: reservations and settlements are shared, so concurrent calls never push the total past the cap', async () => {
        const { a, b } = await pair();
        const bud = (usd: number) => ({ usd, scopes: [{ key: 'workspace', cap: 1 }], leaseMs: 60_000 });
        const r1 = await a.admit({ key: 'p:b', breaker: rules(), budget: bud(0.4) });
        const r2 = await b.admit({ key: 'p:b', breaker: rules(), budget: bud(0.4) });
        const r3 = await a.admit({ key: 'p:b', breaker: rules(), budget: bud(0.4) });
        assert.deepEqual([r1.kind, r2.kind, r3.kind], ['granted', 'granted', 'refused']);
        assert.ok(r3.kind === 'refused' && r3.by === 'budget' && Math.abs(r3.committedUsd - 0.8) < 1e-9);
        await a.settle(r1.claim.id, 0.1);
        const r4 = await b.admit({ key: 'p:b', breaker: rules(), budget: bud(0.4) });
        assert.equal(r4.kind, 'granted');
        const seen = b.backend === 'redis' ? await b.refresh() : b.view();
        assert.ok(Math.abs((seen.budget.spent.workspace ?? 0) - 0.1) < 1e-9);
        assert.ok(Math.abs((seen.budget.reserved.workspace ?? 0) - 0.8) < 1e-9);
        await b.settle(r2.claim.id, 0.5);
        await b.settle(r4.claim.id, 0.3);
        const end = a.backend === 'redis' ? await a.refresh() : a.view();
        assert.ok(Math.abs((end.budget.spent.workspace ?? 0) - 0.9) < 1e-9);
        assert.equal(end.budget.reserved.workspace ?? 0, 0);
      });

      if (backend.shared) {
        it('watch: a long-lived process hears when another one changes the figures', async () => {
          const { a, b } = await pair();
          let changes = 0;
          const sub = a.watch(() => changes++);
          try {
            const c = await b.admit({ key: 'p:w', breaker: rules() });
            await b.finish(c.claim, { result: 'failure', ms: 1, count: true, rules: rules(), reason: 'down' });
            const deadline = Date.now() + 5_000;
            while (changes === 0 && Date.now() < deadline) await sleep(50);
            assert.ok(changes > 0, 'no change reported');
            assert.equal(a.view().breakers['p:w']?.failures, 1);
          } finally {
            sub.dispose();
          }
        });
      }

      it('a reset by one process closes the breaker for every process', async () => {
        const { a, b } = await pair();
        const r = rules({ threshold: 1, openMs: 60_000 });
        const c = await a.admit({ key: 't:bash', breaker: r });
        await a.finish(c.claim, { result: 'failure', ms: 1, count: true, rules: r, reason: 'exit 1' });
        assert.equal((await b.admit({ key: 't:bash', breaker: r })).kind, 'refused');
        assert.equal(await b.reset('t:bash', 'reset by the user'), true);
        assert.equal((await a.admit({ key: 't:bash', breaker: r })).kind, 'granted');
        assert.equal(await a.reset('t:never-used', 'x'), false);
      });
    });
  }
});
