import * as assert from 'node:assert/strict';
import * as sinon from 'sinon';
import { AttemptTimeouts } from '../../../src/core/resilience/attemptTimeouts';
import { must } from '../../fixtures/must';

describe('AttemptTimeouts', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = sinon.useFakeTimers({ now: 1_000 })));
  afterEach(() => clock.restore());

  it('times out each attempt at its own deadline with one shared timer', async () => {
    const timeouts = new AttemptTimeouts(() => Date.now());
    const caller = new AbortController().signal;
    const first = timeouts.start(caller, 1, 1_000);
    await clock.tickAsync(400);
    const second = timeouts.start(caller, 1, 1_000);
    assert.equal(clock.countTimers(), 1);
    await clock.tickAsync(600);
    assert.equal(first.signal.aborted, true);
    assert.equal(first.signal.reason.name, 'TimeoutError');
    assert.equal(second.signal.aborted, false);
    await clock.tickAsync(400);
    assert.ok(second.timedOut);
  });

  it('a finished attempt is never aborted later', async () => {
    const timeouts = new AttemptTimeouts(() => Date.now());
    const attempt = timeouts.start(new AbortController().signal, 1, 1_000);
    const signal = attempt.signal;
    timeouts.finish(attempt);
    await clock.tickAsync(5_000);
    assert.equal(signal.aborted, false);
    assert.equal(attempt.timedOut, undefined);
  });

  it('the caller\'s cancel reaches every running attempt that shares its signal, but not finished ones', () => {
    const timeouts = new AttemptTimeouts(() => Date.now());
    const caller = new AbortController();
    const done = timeouts.start(caller.signal, 1, 0);
    const doneSignal = done.signal;
    timeouts.finish(done);
    const a = timeouts.start(caller.signal, 1, 0);
    const b = timeouts.start(caller.signal, 2, 0);
    const signals = [a.signal, b.signal];
    caller.abort(new Error('stop'));
    assert.deepEqual(signals.map((s) => s.aborted), [true, true]);
    assert.equal(must(signals[0], 'signals[0]').reason.message, 'stop');
    assert.equal(doneSignal.aborted, false);
    assert.equal(a.timedOut, undefined);
  });

  it('an attempt started under an already-cancelled caller gets an aborted signal', () => {
    const caller = new AbortController();
    caller.abort();
    assert.equal(new AttemptTimeouts(() => Date.now()).start(caller.signal, 1, 100).signal.aborted, true);
  });
});
