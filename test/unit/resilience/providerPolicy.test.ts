import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { isProviderError, ProviderError } from '../../../src/core/providers/errors';
import { isCircuitOpenError } from '../../../src/core/resilience/errors';
import { ProviderPolicy } from '../../../src/core/resilience/providerPolicy';
import { MemoryState } from '../../../src/core/state/foldingState';
import { LIMITER_GUARD_MS } from '../../../src/core/state/records';
import { policySettings, recordingBus } from './helpers';
import { must } from '../../fixtures/must';

const signal = new AbortController().signal;

describe('ProviderPolicy: retry, timeout, stream broken mid-way', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 5_000_000 });
  });
  afterEach(() => clock.restore());

  const make = (overrides = {}) => {
    const rec = recordingBus();
    const policy = new ProviderPolicy('fake@http://x', policySettings(overrides), rec.bus, () => Date.now(), new MemoryState(() => Date.now()));
    return { policy, ...rec };
  };

  it('retries a transient failure at most max_retries times, then throws the last error', async () => {
    const { policy, of } = make({ maxRetries: 2, breakerThreshold: 100 });
    let attempts = 0;
    const p = policy.execute(async () => {
      attempts++;
      throw new ProviderError('server', `boom ${attempts}`, { status: 500 });
    }, { signal });
    const outcome = assert.rejects(p, (e: unknown) => isProviderError(e) && e.kind === 'server' && e.message === 'boom 3');
    await clock.tickAsync(60_000);
    await outcome;
    assert.equal(attempts, 3);
    assert.deepEqual(of('provider_failure').map((e) => [e.attempt, e.willRetry]), [[1, true], [2, true], [3, false]]);
  });

  it('returns the value once a retry succeeds', async () => {
    const { policy } = make();
    let attempts = 0;
    const p = policy.execute(async ({ attemptNo: n }) => {
      attempts = n;
      if (n < 3) throw new ProviderError('overloaded', 'busy', { status: 529 });
      return 'ok';
    }, { signal });
    await clock.tickAsync(60_000);
    assert.equal(await p, 'ok');
    assert.equal(attempts, 3);
    assert.equal(policy.stats().successes, 1);
    assert.equal(policy.stats().failures, 2);
  });

  it('waits exactly the retry-after the server asked for', async () => {
    const { policy, of } = make();
    const sentAt: number[] = [];
    const p = policy.execute(async () => {
      sentAt.push(Date.now());
      if (sentAt.length === 1) throw new ProviderError('rate_limited', 'slow down', { status: 429, retryAfterMs: 7_000 });
      return 'ok';
    }, { signal });
    await clock.tickAsync(6_999);
    assert.equal(sentAt.length, 1);
    await clock.tickAsync(1);
    assert.equal(await p, 'ok');
    assert.deepEqual(sentAt.map((t) => t - must(sentAt[0], 'sentAt[0]')), [0, 7_000]);
    assert.equal(must(of('provider_failure')[0], `of('provider_failure')[0]`).retryInMs, 7_000);
  });

  it('backs off exponentially with jitter from retry_delay', async () => {
    const { policy } = make({ retryDelayMs: 1000, maxRetries: 3, breakerThreshold: 100 });
    const sentAt: number[] = [];
    const p = policy.execute(async () => {
      sentAt.push(Date.now());
      throw new ProviderError('network', 'ECONNRESET');
    }, { signal }).catch(() => undefined);
    await clock.tickAsync(60_000);
    await p;
    const gaps = sentAt.slice(1).map((t, i) => t - must(sentAt[i], 'sentAt[i]'));
    assert.equal(gaps.length, 3);
    // Half jitter: attempt n waits within [base·2ⁿ⁻¹/2, base·2ⁿ⁻¹).
    [1000, 2000, 4000].forEach((nominal, i) => assert.ok(must(gaps[i], 'gaps[i]') >= nominal / 2 && must(gaps[i], 'gaps[i]') < nominal, `gap ${i + 1} = ${gaps[i]} for nominal ${nominal}`));
  });

  it('does not retry when the server says x-should-retry: false, nor for errors that are the user\'s to fix', async () => {
    for (const error of [new ProviderError('server', 'no', { status: 500, shouldRetry: false }), new ProviderError('auth', 'bad key', { status: 401 }), new ProviderError('bad_request', 'bad', { status: 400 })]) {
      const { policy } = make();
      let attempts = 0;
      await assert.rejects(policy.execute(async () => {
        attempts++;
        throw error;
      }, { signal }), (e: unknown) => e === error);
      assert.equal(attempts, 1, error.message);
    }
  });

  it('times an attempt out, aborting its signal, and retries it as a transient failure', async () => {
    const { policy } = make({ timeoutMs: 10_000 });
    const aborted: boolean[] = [];
    const p = policy.execute(({ signal: s, attemptNo: n }) => {
      if (n === 2) return Promise.resolve('second try');
      return new Promise<string>((_resolve, reject) => s.addEventListener('abort', () => {
        aborted.push(true);
        reject(new ProviderError('aborted', 'request aborted', { cause: s.reason }));
      }));
    }, { signal });
    await clock.tickAsync(9_999);
    assert.deepEqual(aborted, []);
    await clock.tickAsync(5_000);
    assert.equal(await p, 'second try');
    assert.deepEqual(aborted, [true]);
  });

  it('reports a timeout as kind "timeout" when retries are exhausted', async () => {
    const { policy } = make({ timeoutMs: 1_000, maxRetries: 0 });
    const p = policy.execute(({ signal: s }) => new Promise<string>((_r, reject) => s.addEventListener('abort', () => reject(new Error('socket aborted')))), { signal });
    const outcome = assert.rejects(p, (e: unknown) => isProviderError(e) && e.kind === 'timeout' && /within 1 s/.test(e.message));
    await clock.tickAsync(1_000);
    await outcome;
  });

  it('cancelling during the backoff stops at once with an aborted error and no further attempt', async () => {
    const { policy } = make();
    const ac = new AbortController();
    let attempts = 0;
    const p = policy.execute(async () => {
      attempts++;
      throw new ProviderError('server', 'down', { status: 500 });
    }, { signal: ac.signal });
    const outcome = assert.rejects(p, (e: unknown) => isProviderError(e) && e.kind === 'aborted');
    await clock.tickAsync(100);
    ac.abort();
    await outcome;
    await clock.tickAsync(60_000);
    assert.equal(attempts, 1);
  });

  it('never retries once text reached the user unless the caller visibly discards it', async () => {
    const { policy } = make();
    let attempts = 0;
    const p = policy.execute(async () => {
      attempts++;
      throw new ProviderError('network', 'socket hang up');
    }, { signal, partialText: () => 'Hello, wor' });
    await assert.rejects(p, (e: unknown) => isProviderError(e) && e.kind === 'stream_broken' && e.partialText === 'Hello, wor');
    assert.equal(attempts, 1);
  });

  it('redoes a broken turn from scratch only after onDiscard(partialText)', async () => {
    const { policy } = make();
    const log: string[] = [];
    let partial = '';
    const p = policy.execute(async ({ attemptNo: n }) => {
      log.push(`attempt ${n}`);
      partial = '';
      if (n === 1) {
        partial = 'Hel';
        throw new ProviderError('stream_broken', 'overloaded_error mid-stream');
      }
      return 'Hello';
    }, { signal, partialText: () => partial, onDiscard: (text) => log.push(`discard ${text}`) });
    await clock.tickAsync(60_000);
    assert.equal(await p, 'Hello');
    assert.deepEqual(log, ['attempt 1', 'discard Hel', 'attempt 2']);
  });

  it('rethrows a non-provider error (a bug) without retrying or counting it against the endpoint', async () => {
    const { policy } = make({ breakerThreshold: 1 });
    const bug = new TypeError('undefined is not a function');
    await assert.rejects(policy.execute(async () => { throw bug; }, { signal }), (e: unknown) => e === bug);
    assert.equal(policy.breaker.state, 'closed');
  });

  it('under 8 concurrent callers in an outage, no call makes more than max_retries + 1 attempts', async () => {
    const { policy } = make({ maxRetries: 3, breakerThreshold: 1000 });
    const perCall = new Array<number>(8).fill(0);
    const calls = perCall.map((_, i) => policy.execute(async () => {
      perCall[i] = (perCall[i] ?? 0) + 1;
      throw new ProviderError('overloaded', 'busy', { status: 529 });
    }, { signal }).catch((e: unknown) => e));
    await clock.tickAsync(120_000);
    const errors = await Promise.all(calls);
    assert.ok(errors.every((e) => isProviderError(e) && e.kind === 'overloaded'));
    assert.deepEqual(perCall, new Array<number>(8).fill(4));
  });

  it('stops retrying and fails fast once the shared breaker opens under concurrent load', async () => {
    const { policy } = make({ maxRetries: 3, breakerThreshold: 5 });
    let sent = 0;
    const calls = Array.from({ length: 8 }, () => policy.execute(async () => {
      sent++;
      throw new ProviderError('server', 'down', { status: 500 });
    }, { signal }).catch((e: unknown) => e));
    await clock.tickAsync(120_000);
    const errors = await Promise.all(calls);
    assert.equal(policy.breaker.state, 'open');
    // 8 first attempts open it (5 needed); no retry is sent after it opened.
    assert.equal(sent, 8);
    assert.ok(errors.every((e) => isProviderError(e) || isCircuitOpenError(e)));
  });

  // The window is one minute plus a guard (LIMITER_GUARD_MS): a slot is given again only once the provider
  // cannot still count its first use, whatever the delay between admission and arrival.
  it('makes a caller over the rate limit wait its turn and says so with a throttled event', async () => {
    const { policy, of } = make({ requestsPerMinute: 1 });
    const sentAt: number[] = [];
    const send = async () => {
      sentAt.push(Date.now());
      return 'ok';
    };
    await policy.execute(send, { signal });
    const second = policy.execute(send, { signal });
    await clock.tickAsync(60_000 + LIMITER_GUARD_MS);
    await second;
    assert.deepEqual(sentAt.map((t) => t - must(sentAt[0], 'sentAt[0]')), [0, 60_000 + LIMITER_GUARD_MS]);
    assert.deepEqual(of('throttled').map((e) => [e.name, e.waitMs]), [['fake@http://x', 60_000 + LIMITER_GUARD_MS]]);
  });
});
