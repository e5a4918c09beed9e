import type { CoreEvent } from '../../src/core/common/coreEvents';
import { defaultConfig } from '../../src/core/config/defaults';
import type { ProviderPolicySettings } from '../../src/core/resilience/providerPolicy';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';
import { loadProductionModule } from '../support/productionBundle';

type Core = typeof import('../../src/core/resilience/policyRegistry') & typeof import('../../src/core/resilience/providerPolicy') & typeof import('../../src/core/common/event');

/**
 * What the per-endpoint policy (breaker check → FIFO limiter → breaker permit → attempt under the
 * per-call timeout → retry bookkeeping) adds to a call that succeeds, against a bare `await` of the same
 * async function. Calls run in batches of 100 000 so the timer's resolution does not matter.
 */
const CALLS_PER_SAMPLE = quick() ? 20_000 : 100_000;
const SAMPLES = quick() ? 7 : 15;

/**
 * The real clock, moved one second forward on every read, so the default 60-requests-per-minute
 * limiter never makes the benchmark wait (a throttled call measures the limit, not the wrapper) while
 * each read still costs a real `Date.now()`.
 */
function nonThrottlingClock(): () => number {
  let skew = 0;
  return () => Date.now() + (skew += 1000);
}

async function policyWith(core: Core, settings: ProviderPolicySettings) {
  const registry = await core.PolicyRegistry.open({ settings, events: new core.Emitter<CoreEvent>(), clock: nonThrottlingClock() });
  return { registry, policy: registry.policyFor('anthropic', 'https://api.anthropic.com') };
}

export const suite: BenchSuite = {
  name: 'resilience',
  async run(): Promise<BenchResult[]> {
    const core = await loadProductionModule<Core>('bench/support/resilienceEntry.ts');
    const defaults = core.policySettingsFrom(defaultConfig().settings);
    const withTimeout = await policyWith(core, defaults);
    const noTimeout = await policyWith(core, { ...defaults, timeoutMs: 0 });
    const signal = new AbortController().signal;
    let sink = 0;
    const work = async (): Promise<number> => ++sink;
    const attempt = (): Promise<number> => work();
    const batch = (call: () => Promise<number>) => async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < CALLS_PER_SAMPLE; i++) await call();
      return Number(process.hrtime.bigint() - t0) / CALLS_PER_SAMPLE;
    };
    const s = await sampleInterleaved(
      {
        bare: batch(work),
        policy: batch(() => withTimeout.policy.execute(attempt, { signal })),
        policyNoTimeout: batch(() => noTimeout.policy.execute(attempt, { signal })),
      },
      SAMPLES,
    );
    const stats = withTimeout.policy.stats();
    if (stats.failures !== 0 || stats.state !== 'closed') throw new Error(`the policy saw ${stats.failures} failures (state ${stats.state}); the benchmark measures successful calls only`);
    withTimeout.registry.dispose();
    noTimeout.registry.dispose();
    const baseline = { name: 'bare await', figure: s.bare };
    const bar = { on: 'added', max: 2000, unit: 'ns' } as const;
    return [
      {
        name: 'resilience: policy.execute, successful call (default settings)',
        unit: 'ns/call',
        figure: s.policy,
        baseline,
        bar,
        note: `${CALLS_PER_SAMPLE} sequential calls per sample; default settings (60/min limiter, breaker on, 3 retries, 300 s per-call timeout)`,
      },
      {
        name: 'resilience: same, per-call timeout off (timeout: 0)',
        unit: 'ns/call',
        figure: s.policyNoTimeout,
        baseline,
        bar,
        note: 'isolates what the per-attempt AbortController + timer cost',
      },
    ];
  },
};
