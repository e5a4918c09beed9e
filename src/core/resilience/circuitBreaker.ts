import { ConsecutiveBreaker } from 'cockatiel';
import { z } from 'zod';
import type { BreakerState } from '../common/coreEvents';
import { CircuitOpenError } from './errors';
import type { Clock } from './timers';

/**
 * A provider's circuit breaker. Cockatiel's `CircuitBreakerPolicy` makes callers that arrive while a
 * half-open probe is in flight WAIT for it; we need them to fail fast with the time to retry, and we
 * need the state on disk, so the state machine is ours while counting uses cockatiel's
 * `ConsecutiveBreaker` (its `IBreaker`).
 */
export const breakerSnapshotSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('closed'), consecutiveFailures: z.number().int().nonnegative() }),
  z.object({
    state: z.literal('open'),
    openedAt: z.number(),
    /** Epoch ms from which one probe may go through. */
    retryAt: z.number(),
    reason: z.string(),
  }),
  z.object({ state: z.literal('half_open'), openedAt: z.number(), probeStartedAt: z.number(), reason: z.string() }),
]);
export type BreakerSnapshot = z.infer<typeof breakerSnapshotSchema>;

export interface CircuitBreakerOptions {
  /** Consecutive transient failures that open the breaker (`circuit_breaker_threshold`, default 5). */
  readonly threshold: number;
  /** Milliseconds an open breaker waits before one probe (`circuit_breaker_timeout` × 1000, default 30 000). */
  readonly openMs: number;
  /** `enable_circuit_breaker`; when false every call goes through and nothing is counted. */
  readonly enabled: boolean;
  /** How long callers are told to wait while a probe is in flight (ms); the per-call timeout is the worst case. */
  readonly probeMaxMs: number;
  readonly clock: Clock;
  /** `adopted`: the state came from another process through the store, so it must not be written back. */
  readonly onTransition?: (from: BreakerState, to: BreakerState, snapshot: BreakerSnapshot, adopted: boolean) => void;
}

/** What `acquire` hands out: a normal call, or the one half-open probe. */
export type Permit = 'normal' | 'probe';

export class ProviderCircuitBreaker {
  private counter: ConsecutiveBreaker;
  private snap: BreakerSnapshot = { state: 'closed', consecutiveFailures: 0 };
  /** The failure that opened the breaker in this process (kept as the cause of fail-fast errors). */
  private lastFailure: unknown;

  constructor(
    readonly name: string,
    private options: CircuitBreakerOptions,
  ) {
    this.counter = new ConsecutiveBreaker(options.threshold);
  }

  get state(): BreakerState {
    return this.snap.state;
  }

  snapshot(): BreakerSnapshot {
    return this.snap.state === 'closed' ? { state: 'closed', consecutiveFailures: this.counter.state } : this.snap;
  }

  reconfigure(options: CircuitBreakerOptions): void {
    const failures = this.counter.state;
    this.options = options;
    this.counter = new ConsecutiveBreaker(options.threshold);
    this.counter.state = failures;
  }

  /** Restores persisted state without firing transitions. A half-open probe from a dead process is open again, due now. */
  restore(snapshot: BreakerSnapshot): void {
    if (snapshot.state === 'half_open') {
      this.snap = { state: 'open', openedAt: snapshot.openedAt, retryAt: snapshot.probeStartedAt, reason: snapshot.reason };
    } else {
      this.snap = snapshot;
      this.counter.state = snapshot.state === 'closed' ? snapshot.consecutiveFailures : 0;
    }
  }

  /** Throws `CircuitOpenError` if a call could not go through now; takes nothing. */
  check(): void {
    const snap = this.snap;
    if (snap.state === 'closed' || !this.options.enabled) return;
    const now = this.options.clock();
    if (snap.state === 'open') {
      if (now < snap.retryAt) throw new CircuitOpenError(this.name, 'open', snap.retryAt, now, this.lastFailure);
      return;
    }
    throw new CircuitOpenError(this.name, 'half_open', snap.probeStartedAt + this.options.probeMaxMs, now, this.lastFailure);
  }

  /** Right before sending: a normal permit, the one probe (open → half-open), or a fail-fast throw. */
  acquire(): Permit {
    const snap = this.snap;
    if (snap.state === 'closed' || !this.options.enabled) return 'normal';
    this.check();
    // Open and due: this caller is the probe; everyone else now fails fast until it settles.
    const open = snap as Extract<BreakerSnapshot, { state: 'open' }>;
    this.transition({ state: 'half_open', openedAt: open.openedAt, probeStartedAt: this.options.clock(), reason: open.reason });
    return 'probe';
  }

  success(permit: Permit): void {
    if (permit === 'probe') {
      if (this.snap.state === 'half_open') this.closeAfterProbe();
      return;
    }
    if (this.snap.state === 'closed') this.counter.success();
  }

  /** Whether a transient failure with this permit would leave the breaker not closed (so no retry should follow). */
  wouldBeOpenAfterFailure(permit: Permit): boolean {
    if (!this.options.enabled) return false;
    if (permit === 'probe' || this.snap.state !== 'closed') return true;
    return this.counter.state + 1 >= this.options.threshold;
  }

  /** A transient failure: counts toward opening; a failed probe reopens for another full wait. */
  failure(permit: Permit, reason: string, cause: unknown): void {
    if (!this.options.enabled) return;
    if (permit === 'probe') {
      if (this.snap.state === 'half_open') this.open(`probe failed: ${reason}`, cause);
      return;
    }
    if (this.snap.state === 'closed' && this.counter.failure()) this.open(reason, cause);
  }

  /**
   * The endpoint answered, but with an error that is the user's to fix (auth, bad request, context too
   * long): it does not count as a failure. A probe that gets such an answer proves the endpoint is up.
   */
  answered(permit: Permit): void {
    if (permit === 'probe' && this.snap.state === 'half_open') this.closeAfterProbe();
  }

  /** The call was cancelled: nothing learned. A cancelled probe hands the turn to the next caller. */
  released(permit: Permit): void {
    if (permit === 'probe' && this.snap.state === 'half_open') {
      const s = this.snap;
      this.transition({ state: 'open', openedAt: s.openedAt, retryAt: this.options.clock(), reason: s.reason });
    }
  }

  /**
   * Takes the state another process (a CLI invocation, another window) wrote to the shared store, when it
   * differs from ours: an outage seen there fails fast here too, and a breaker closed there closes here. A
   * half-open state there means its probe is in flight: fail fast until that probe's worst case has passed.
   * Returns whether anything changed.
   */
  adopt(snapshot: BreakerSnapshot): boolean {
    const next: BreakerSnapshot =
      snapshot.state === 'half_open'
        ? { state: 'open', openedAt: snapshot.openedAt, retryAt: snapshot.probeStartedAt + this.options.probeMaxMs, reason: snapshot.reason }
        : snapshot;
    const current = this.snap;
    if (next.state === current.state && (next.state !== 'open' || current.state !== 'open' || next.openedAt <= current.openedAt)) return false;
    if (next.state === 'closed' || next.state === 'open') this.counter.success();
    this.lastFailure = undefined;
    this.transition(next, true);
    return true;
  }

  /** Manual reset (command "Reset Breaker"). */
  reset(): void {
    this.counter.success();
    this.lastFailure = undefined;
    if (this.snap.state !== 'closed') this.transition({ state: 'closed', consecutiveFailures: 0 });
  }

  private open(reason: string, cause: unknown): void {
    const now = this.options.clock();
    this.lastFailure = cause;
    this.counter.success();
    this.transition({ state: 'open', openedAt: now, retryAt: now + this.options.openMs, reason });
  }

  private closeAfterProbe(): void {
    this.counter.success();
    this.lastFailure = undefined;
    this.transition({ state: 'closed', consecutiveFailures: 0 });
  }

  private transition(next: BreakerSnapshot, adopted = false): void {
    const from = this.snap.state;
    this.snap = next;
    this.options.onTransition?.(from, next.state, next, adopted);
  }
}
