import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { isProviderError } from '../../../src/core/providers/errors';
import { SlidingWindowRateLimiter } from '../../../src/core/resilience/rateLimiter';

describe('SlidingWindowRateLimiter', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  const make = (requests: number, tokens: number | null = null, throttled: number[] = []) =>
    new SlidingWindowRateLimiter({ requestsPerWindow: requests, tokensPerWindow: tokens, windowMs: 60_000, clock: () => Date.now(), onThrottled: (ms) => throttled.push(ms) });

  it('lets the limit through at once, then makes the next caller wait for the window to slide', async () => {
    const throttled: number[] = [];
    const limiter = make(3, null, throttled);
    for (let i = 0; i < 3; i++) assert.equal(limiter.tryAcquire(), true);
    assert.equal(limiter.tryAcquire(), false);
    let passed = false;
    const p = limiter.acquire().then(() => (passed = true));
    await clock.tickAsync(59_999);
    assert.equal(passed, false);
    await clock.tickAsync(1);
    await p;
    assert.equal(passed, true);
    assert.deepEqual(throttled, [60_000]);
  });

  it('serves waiters in arrival order (FIFO), even when a later one would fit sooner', async () => {
    const limiter = make(10, 100);
    limiter.tryAcquire(60);
    await clock.tickAsync(30_000);
    limiter.tryAcquire(30);
    const order: string[] = [];
    // "big" needs both earlier requests to leave the window; "small" would fit right now.
    const big = limiter.acquire(100).then(() => order.push('big'));
    const small = limiter.acquire(1).then(() => order.push('small'));
    await clock.tickAsync(5_000);
    assert.deepEqual(order, []);
    await clock.tickAsync(55_000);
    assert.deepEqual(order, ['big']);
    await clock.tickAsync(60_000);
    await Promise.all([big, small]);
    assert.deepEqual(order, ['big', 'small']);
  });

  it('does not let a newcomer jump the queue through tryAcquire', async () => {
    const limiter = make(1);
    limiter.tryAcquire();
    const waiting = limiter.acquire();
    await clock.tickAsync(60_000);
    await waiting;
    // The slot freed at 60 s went to the waiter, so the window is full again.
    assert.equal(limiter.tryAcquire(), false);
    assert.equal(limiter.usage().requestsInWindow, 1);
  });

  it('cancels a waiting caller with an aborted ProviderError and lets the next one move up', async () => {
    const limiter = make(1);
    limiter.tryAcquire();
    const ac = new AbortController();
    const cancelled = limiter.acquire(0, ac.signal);
    const next = limiter.acquire();
    assert.equal(limiter.usage().queued, 2);
    ac.abort(new Error('user pressed stop'));
    await assert.rejects(cancelled, (e: unknown) => isProviderError(e) && e.kind === 'aborted');
    assert.equal(limiter.usage().queued, 1);
    await clock.tickAsync(60_000);
    await next;
    assert.equal(limiter.usage().queued, 0);
  });

  it('limits tokens per window as well as requests', async () => {
    const limiter = make(100, 1000);
    assert.equal(limiter.tryAcquire(800), true);
    assert.equal(limiter.tryAcquire(300), false);
    let done = false;
    const p = limiter.acquire(300).then(() => (done = true));
    await clock.tickAsync(30_000);
    assert.equal(done, false);
    await clock.tickAsync(30_000);
    await p;
    assert.equal(limiter.usage().tokensInWindow, 300);
  });

  it('lets a request larger than the whole token budget run alone rather than wait forever', async () => {
    const limiter = make(100, 1000);
    limiter.tryAcquire(10);
    const p = limiter.acquire(5000);
    await clock.tickAsync(60_000);
    await p;
    assert.equal(limiter.usage().tokensInWindow, 5000);
  });

  it('applies a lower limit from a config reload at once', () => {
    const limiter = make(5);
    limiter.tryAcquire();
    limiter.tryAcquire();
    limiter.reconfigure(2, null);
    assert.equal(limiter.tryAcquire(), false);
  });

  it('rejects a non-integer limit with a message naming it', () => {
    assert.throws(() => make(0), /requestsPerWindow must be a positive integer/);
  });
});
