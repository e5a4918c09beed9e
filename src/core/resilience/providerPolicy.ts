import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { Settings } from '../config/schema';
import { isProviderError, ProviderError } from '../providers/errors';
import { ProviderCircuitBreaker, type BreakerSnapshot, type CircuitBreakerOptions, type Permit } from './circuitBreaker';
import { SlidingWindowRateLimiter, type RateLimiterUsage } from './rateLimiter';
import { AttemptTimeouts, type AttemptContext } from './attemptTimeouts';
import { RetryBackoff } from './retryBackoff';
import { sleep, type Clock } from './timers';

/** The numbers a provider policy runs on, in milliseconds; derived from `settings` by `policySettingsFrom`. */
export interface ProviderPolicySettings {
  /** `rate_limit_per_minute` (default 60). */
  readonly requestsPerMinute: number;
  /** `tokens_per_minute`, or null for none (default). */
  readonly tokensPerMinute: number | null;
  /** `max_retries` (default 3): attempts per call are at most this + 1. */
  readonly maxRetries: number;
  /** `retry_delay` in ms (default 1000). */
  readonly retryDelayMs: number;
  /** `enable_circuit_breaker` (default true). */
  readonly breakerEnabled: boolean;
  /** `circuit_breaker_threshold` (default 5). */
  readonly breakerThreshold: number;
  /** `circuit_breaker_timeout` in ms (default 30 000). */
  readonly breakerOpenMs: number;
  /** `timeout` in ms per attempt (default 300 000); 0 for none. */
  readonly timeoutMs: number;
}

export function policySettingsFrom(s: Settings): ProviderPolicySettings {
  return {
    requestsPerMinute: s.rate_limit_per_minute,
    tokensPerMinute: s.tokens_per_minute,
    maxRetries: s.max_retries,
    retryDelayMs: s.retry_delay * 1000,
    breakerEnabled: s.enable_circuit_breaker,
    breakerThreshold: s.circuit_breaker_threshold,
    breakerOpenMs: s.circuit_breaker_timeout * 1000,
    timeoutMs: s.timeout * 1000,
  };
}

export interface ExecuteOptions {
  /** The caller's cancellation; aborting it aborts the wait or the request in flight. */
  readonly signal: AbortSignal;
  /** Estimated tokens (input + max output) for the token-per-minute limit. */
  readonly estimatedTokens?: number;
  /** Text the failed attempt had already shown the user (empty if none). */
  readonly partialText?: () => string;
  /**
   * Called before a turn that already showed text is redone from scratch. Without it, a stream that
   * broke after text reached the user is never retried (it is reported as `stream_broken`).
   */
  readonly onDiscard?: (partialText: string, reason: string) => void;
}

export interface ProviderPolicyStats {
  readonly name: string;
  readonly state: BreakerSnapshot['state'];
  /** Failed attempts (every kind) since the process started. */
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly successes: number;
  /** Attempts sent to the provider. */
  readonly calls: number;
  /** Mean duration of completed attempts, in ms (0 before the first). */
  readonly avg_ms: number;
  readonly rateLimit: RateLimiterUsage;
  /** Epoch ms when an open breaker lets a probe through. */
  readonly retryAt?: number;
  readonly reason?: string;
}

/**
 * One per provider endpoint (`kind@endpoint`), shared by every agent and run in the process:
 * breaker check → FIFO rate limiter → breaker permit (one probe when half-open) → the attempt under a
 * timeout → retry transient failures with backoff (honouring retry-after), never after text reached
 * the user unless the caller visibly discards it.
 */
export class ProviderPolicy {
  readonly breaker: ProviderCircuitBreaker;
  private readonly limiter: SlidingWindowRateLimiter;
  private backoff: RetryBackoff;
  private failures = 0;
  private successes = 0;
  private attempts = 0;
  private completed = 0;
  private totalMs = 0;
  private readonly timeouts: AttemptTimeouts;
  private readonly onTransition: CircuitBreakerOptions['onTransition'];

  constructor(
    readonly name: string,
    private settings: ProviderPolicySettings,
    private readonly events: Emitter<CoreEvent>,
    private readonly clock: Clock,
    onBreakerChange: (name: string, snapshot: BreakerSnapshot) => void,
  ) {
    this.onTransition = (from, to, snapshot, adopted) => {
      const retryAt = snapshot.state === 'open' ? snapshot.retryAt : undefined;
      const reason = snapshot.state === 'closed' ? undefined : snapshot.reason;
      this.events.fire({ type: 'breaker_transition', scope: 'provider', name, from, to, at: clock(), reason, retryAt });
      if (!adopted) onBreakerChange(name, snapshot);
    };
    this.breaker = new ProviderCircuitBreaker(name, { ...breakerOptions(settings, clock), onTransition: this.onTransition });
    this.limiter = new SlidingWindowRateLimiter({
      requestsPerWindow: settings.requestsPerMinute,
      tokensPerWindow: settings.tokensPerMinute,
      clock,
      onThrottled: (waitMs) => this.events.fire({ type: 'throttled', name, waitMs, at: clock() }),
    });
    this.backoff = new RetryBackoff({ baseDelayMs: settings.retryDelayMs });
    this.timeouts = new AttemptTimeouts(clock);
  }

  reconfigure(settings: ProviderPolicySettings): void {
    this.settings = settings;
    this.breaker.reconfigure({ ...breakerOptions(settings, this.clock), onTransition: this.onTransition });
    this.limiter.reconfigure(settings.requestsPerMinute, settings.tokensPerMinute);
    this.backoff = new RetryBackoff({ baseDelayMs: settings.retryDelayMs });
  }

  /**
   * Runs `attempt` under the policy; its context gives the 1-based attempt number and an AbortSignal
   * that fires on the caller's cancel or the timeout (pass it to the request). Throws the last `ProviderError`, a `CircuitOpenError`
   * without sending, or an `aborted` ProviderError.
   */
  async execute<T>(attempt: (context: AttemptContext) => Promise<T>, options: ExecuteOptions): Promise<T> {
    const { signal } = options;
    const tokens = options.estimatedTokens ?? 0;
    let delays: ReturnType<RetryBackoff['start']> | undefined;
    for (let attemptNo = 1; ; attemptNo++) {
      if (this.breaker.state !== 'closed') this.breaker.check();
      let started = this.clock();
      if (!this.limiter.tryAcquire(tokens, started)) {
        await this.limiter.acquire(tokens, signal);
        started = this.clock();
      }
      const permit = this.breaker.acquire();
      this.attempts++;
      let error: ProviderError;
      const inFlight = this.timeouts.start(signal, attemptNo, this.settings.timeoutMs, started);
      try {
        const value = await attempt(inFlight);
        this.timeouts.finish(inFlight);
        this.record(started);
        this.successes++;
        this.breaker.success(permit);
        return value;
      } catch (err) {
        this.timeouts.finish(inFlight);
        this.record(started);
        this.failures++;
        // Whatever the SDK threw on abort, our own timeout firing makes it a (transient) timeout, not a cancel.
        const timedOut = signal.aborted ? undefined : inFlight.timedOut;
        const cause = timedOut ? new ProviderError('timeout', `${this.name}: ${timedOut.message}`, { cause: err }) : err;
        error = this.classify(cause, signal, permit, options.partialText?.() ?? '');
      }
      delays ??= this.backoff.start();
      const partial = error.partialText ?? '';
      // A retry only goes to an endpoint whose breaker stays closed after this failure is counted.
      const breakerStaysClosed = this.breaker.state === 'closed' && !this.breaker.wouldBeOpenAfterFailure(permit);
      const retryInMs = error.transient && attemptNo <= this.settings.maxRetries && breakerStaysClosed && (partial === '' || options.onDiscard !== undefined) ? delays.next(error) : undefined;
      // The failure is reported before the breaker transition it causes, so the audit ledger reads in causal order.
      this.events.fire({
        type: 'provider_failure',
        name: this.name,
        kind: error.kind,
        message: error.message,
        cause: stackOf(error),
        attempt: attemptNo,
        willRetry: retryInMs !== undefined,
        retryInMs,
        at: this.clock(),
      });
      this.account(error, permit);
      if (retryInMs === undefined) throw error;
      if (partial !== '') options.onDiscard!(partial, error.message);
      await sleep(retryInMs, signal);
    }
  }

  stats(): ProviderPolicyStats {
    const snap = this.breaker.snapshot();
    return {
      name: this.name,
      state: snap.state,
      failures: this.failures,
      consecutiveFailures: snap.state === 'closed' ? snap.consecutiveFailures : this.settings.breakerThreshold,
      successes: this.successes,
      calls: this.attempts,
      avg_ms: this.completed === 0 ? 0 : Math.round(this.totalMs / this.completed),
      rateLimit: this.limiter.usage(),
      retryAt: snap.state === 'open' ? snap.retryAt : undefined,
      reason: snap.state === 'closed' ? undefined : snap.reason,
    };
  }

  dispose(): void {
    this.timeouts.dispose();
    this.limiter.dispose(new ProviderError('aborted', `${this.name}: shutting down`));
  }

  private record(started: number): void {
    this.completed++;
    this.totalMs += this.clock() - started;
  }

  /** Tells the breaker what a failure means: transient ones count, the user's own are an answer, aborts teach nothing. */
  private account(error: ProviderError, permit: Permit): void {
    const underlying = error.kind === 'stream_broken' && isProviderError(error.cause) ? error.cause : error;
    if (underlying.transient || error.transient) this.breaker.failure(permit, `${error.kind}: ${error.message}`, error);
    else if (underlying.kind === 'aborted') this.breaker.released(permit);
    else this.breaker.answered(permit);
  }

  /** Turns whatever the attempt threw into a ProviderError (cancels and bugs are thrown at once, releasing the permit). */
  private classify(err: unknown, signal: AbortSignal, permit: Permit, partial: string): ProviderError {
    if (signal.aborted) {
      this.breaker.released(permit);
      throw isProviderError(err) && err.kind === 'aborted' ? err : new ProviderError('aborted', `${this.name}: call cancelled`, { cause: err, partialText: partial || undefined });
    }
    if (!isProviderError(err)) {
      // Not a provider failure (a bug above the SDK): nothing learned about the endpoint.
      this.breaker.released(permit);
      throw err;
    }
    if (partial === '' || err.partialText !== undefined) return err;
    return new ProviderError('stream_broken', `${this.name}: the answer broke off after text was shown (${err.kind}: ${err.message})`, {
      cause: err,
      partialText: partial,
      status: err.status,
      shouldRetry: err.transient ? undefined : false,
    });
  }
}

function breakerOptions(s: ProviderPolicySettings, clock: Clock) {
  return { threshold: s.breakerThreshold, openMs: s.breakerOpenMs, enabled: s.breakerEnabled, probeMaxMs: s.timeoutMs > 0 ? s.timeoutMs : s.breakerOpenMs, clock };
}

/** The stack of the deepest cause (the SDK's original error) with the chain of messages above it. */
export function stackOf(error: Error): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 6; depth++) {
    parts.push(depth === 0 ? (e.stack ?? String(e)) : `Caused by: ${e.stack ?? String(e)}`);
    e = e.cause;
  }
  return parts.join('\n');
}
