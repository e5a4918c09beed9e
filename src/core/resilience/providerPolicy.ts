import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { Settings } from '../config/schema';
import { isProviderError, ProviderError } from '../providers/errors';
import type { BudgetRefusal } from '../cost/budget';
import { LIMITER_GUARD_MS, type BudgetClaim, type LimiterRules } from '../state/records';
import { providerKey, type AttemptEnd, type ClaimRef, type SharedState } from '../state/sharedState';
import type { AttemptResult, BreakerRules, BreakerSnapshot, Permit } from '../state/circuitBreaker';
import { SharedBreaker } from './sharedBreaker';
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
  /** The call's worst case against its budgets, reserved with the first attempt's admission. */
  readonly budget?: BudgetClaim;
  /** The error to throw when the budget refuses (the gateway knows how to word it). */
  readonly budgetRefused?: (refusal: BudgetRefusal) => Error;
  /** Called with the reservation's id once the budget reserved it; the caller settles it with the real cost. */
  readonly onReserved?: (reservation: string) => void;
}

export interface ProviderPolicyStats {
  readonly name: string;
  readonly state: BreakerSnapshot['state'];
  /** Failed attempts (every kind), in every process sharing the state. */
  readonly failures: number;
  readonly consecutiveFailures: number;
  readonly successes: number;
  /** Attempts sent to the provider, by every process. */
  readonly calls: number;
  /** Mean duration of completed attempts, in ms (0 before the first). */
  readonly avg_ms: number;
  readonly rateLimit: RateLimiterUsage;
  /** Epoch ms when an open breaker lets a probe through (half-open: when its probe counts as lost). */
  readonly retryAt?: number;
  readonly reason?: string;
}

/** Use of an endpoint's rate limit in its one-minute window, as every process sees it. */
export interface RateLimiterUsage {
  readonly requestsInWindow: number;
  readonly requestLimit: number;
  readonly tokensInWindow: number;
  readonly tokenLimit: number | null;
  /** Callers waiting for their slot, in every process. */
  readonly queued: number;
  /** The window, in ms. */
  readonly windowMs: number;
}

const WINDOW_MS = 60_000;

/**
 * One per provider endpoint (`kind@endpoint`) in the process, over the endpoint's state shared with every
 * other process (`SharedState`): one admission per attempt takes the breaker check, the budget reservation
 * (first attempt), a slot of the rate limit (FIFO across every process: a caller that must wait is told
 * when, and can be cancelled while waiting) and the breaker permit (one probe when half-open, in all
 * processes together); then the attempt under a timeout; its end is recorded (consecutive failures are
 * counted across processes) and transient failures are retried with backoff (honouring retry-after) while
 * the breaker stays closed — never after text reached the user unless the caller visibly discards it.
 */
export class ProviderPolicy {
  readonly breaker: SharedBreaker;
  private backoff: RetryBackoff;
  private readonly timeouts: AttemptTimeouts;
  private readonly key: string;
  private cachedRules: { settings: ProviderPolicySettings; rules: BreakerRules } | undefined;
  private cachedLimiter: { settings: ProviderPolicySettings; rules: LimiterRules } | undefined;

  constructor(
    readonly name: string,
    private settings: ProviderPolicySettings,
    private readonly events: Emitter<CoreEvent>,
    private readonly clock: Clock,
    private readonly state: SharedState,
  ) {
    this.key = providerKey(name);
    this.breaker = new SharedBreaker(name, this.key, state, () => this.rules(), clock);
    this.backoff = new RetryBackoff({ baseDelayMs: settings.retryDelayMs });
    this.timeouts = new AttemptTimeouts(clock);
  }

  reconfigure(settings: ProviderPolicySettings): void {
    this.settings = settings;
    this.backoff = new RetryBackoff({ baseDelayMs: settings.retryDelayMs });
  }

  /**
   * Runs `attempt` under the policy; its context gives the 1-based attempt number and an AbortSignal
   * that fires on the caller's cancel or the timeout (pass it to the request). Throws the last `ProviderError`,
   * a `CircuitOpenError` or the budget's error without sending, an `aborted` ProviderError, or a
   * `StoreWriteError`/`StateUnavailableError` when the attempt could not be recorded (then nothing was sent).
   */
  async execute<T>(attempt: (context: AttemptContext) => Promise<T>, options: ExecuteOptions): Promise<T> {
    const { signal } = options;
    const tokens = options.estimatedTokens ?? 0;
    let delays: ReturnType<RetryBackoff['start']> | undefined;
    for (let attemptNo = 1; ; attemptNo++) {
      if (signal.aborted) throw new ProviderError('aborted', `${this.name}: call cancelled`, { cause: signal.reason });
      const rules = this.rules();
      const budget = attemptNo === 1 ? options.budget : undefined;
      const admitted = await this.state.admit(budget ? { key: this.key, breaker: rules, limiter: this.limiterRules(tokens), budget } : { key: this.key, breaker: rules, limiter: this.limiterRules(tokens) });
      if (admitted.kind === 'refused') {
        if (admitted.by === 'budget') throw options.budgetRefused?.(admitted) ?? new Error(`${this.name}: the budget refused the call`);
        throw this.breaker.refusal(admitted.state, admitted.retryAt);
      }
      if (budget) options.onReserved?.(admitted.claim.id);
      const permit = admitted.kind === 'granted' ? admitted.permit : await this.waitForSlot(admitted.claim, admitted.waitMs, rules, signal);
      if (signal.aborted) {
        await this.end(admitted.claim, 'released', this.clock(), rules);
        throw new ProviderError('aborted', `${this.name}: call cancelled`, { cause: signal.reason });
      }
      const started = this.clock();
      let error: ProviderError;
      const inFlight = this.timeouts.start(signal, attemptNo, this.settings.timeoutMs, started);
      try {
        const value = await attempt(inFlight);
        this.timeouts.finish(inFlight);
        await this.end(admitted.claim, 'success', started, rules);
        return value;
      } catch (err) {
        this.timeouts.finish(inFlight);
        // Whatever the SDK threw on abort, our own timeout firing makes it a (transient) timeout, not a cancel.
        const timedOut = signal.aborted ? undefined : inFlight.timedOut;
        const cause = timedOut ? new ProviderError('timeout', `${this.name}: ${timedOut.message}`, { cause: err }) : err;
        const classified = this.classify(cause, signal, options.partialText?.() ?? '');
        if (classified.kind === 'throw') {
          await this.end(admitted.claim, 'released', started, rules);
          throw classified.error;
        }
        error = classified.error;
      }
      delays ??= this.backoff.start();
      const partial = error.partialText ?? '';
      const result = this.resultOf(error);
      const retryable = error.transient && attemptNo <= this.settings.maxRetries && (partial === '' || options.onDiscard !== undefined);
      // The failure is reported before the breaker transition it causes, so the audit ledger reads in causal
      // order; whether it will be retried is decided by the breaker as it stands after this failure (below).
      const willRetry = retryable && this.breaker.staysClosedAfter(result, permit);
      const retryInMs = willRetry ? delays.next(error) : undefined;
      this.events.fire({
        type: 'provider_failure',
        name: this.name,
        kind: error.kind,
        message: error.message,
        cause: stackOf(error),
        attempt: attemptNo,
        willRetry,
        retryInMs,
        at: this.clock(),
      });
      const after = await this.end(admitted.claim, result, started, rules, `${error.kind}: ${error.message}`);
      // Another process's failure may have opened it meanwhile: a retry goes only to a closed breaker.
      if (retryInMs === undefined || after.state !== 'closed') throw error;
      if (partial !== '') options.onDiscard!(partial, error.message);
      await sleep(retryInMs, signal);
    }
  }

  stats(): ProviderPolicyStats {
    const view = this.state.view();
    const b = view.breakers[this.key];
    const l = view.limiters[this.key];
    const snap = b?.snap ?? { state: 'closed', consecutiveFailures: 0 };
    const calls = b?.calls ?? 0;
    return {
      name: this.name,
      state: snap.state,
      failures: b?.failures ?? 0,
      consecutiveFailures: snap.state === 'closed' ? snap.consecutiveFailures : this.settings.breakerThreshold,
      successes: b?.successes ?? 0,
      calls,
      avg_ms: calls === 0 ? 0 : Math.round((b?.totalMs ?? 0) / calls),
      rateLimit: {
        requestsInWindow: l?.used ?? 0,
        requestLimit: l?.limit ?? this.settings.requestsPerMinute,
        tokensInWindow: l?.tokensUsed ?? 0,
        tokenLimit: l?.tokenLimit ?? this.settings.tokensPerMinute,
        queued: l?.queued ?? 0,
        windowMs: l?.windowMs ?? WINDOW_MS,
      },
      retryAt: this.breaker.retryAt(),
      reason: snap.state === 'closed' ? undefined : snap.reason,
    };
  }

  dispose(): void {
    this.timeouts.dispose();
  }

  /** The breaker's rules under the current settings (one object per settings, not per call). */
  private rules(): BreakerRules {
    const s = this.settings;
    if (this.cachedRules?.settings !== s) this.cachedRules = { settings: s, rules: { threshold: s.breakerThreshold, openMs: s.breakerOpenMs, enabled: s.breakerEnabled, probeMaxMs: s.timeoutMs > 0 ? s.timeoutMs : s.breakerOpenMs } };
    return this.cachedRules.rules;
  }

  private limiterRules(tokens: number): LimiterRules {
    const s = this.settings;
    const last = this.cachedLimiter;
    if (last?.settings === s && last.rules.tokens === tokens) return last.rules;
    const rules = { limit: s.requestsPerMinute, tokenLimit: s.tokensPerMinute, windowMs: WINDOW_MS + LIMITER_GUARD_MS, tokens };
    this.cachedLimiter = { settings: s, rules };
    return rules;
  }

  /** Sleeps until a queued claim's slot (cancellable: the slot is then given back), then takes the permit. */
  private async waitForSlot(claim: ClaimRef, waitMs: number, rules: BreakerRules, signal: AbortSignal): Promise<Permit> {
    this.events.fire({ type: 'throttled', name: this.name, waitMs, at: this.clock() });
    try {
      await sleep(waitMs, signal);
    } catch (err) {
      await this.state.cancel(claim);
      throw new ProviderError('aborted', `Waiting for the rate limit of ${this.name} was cancelled`, { cause: err });
    }
    const started = await this.state.start(claim, rules);
    if (started.kind === 'refused') throw this.breaker.refusal(started.state, started.retryAt);
    return started.permit;
  }

  private end(claim: ClaimRef, result: AttemptResult, started: number, rules: BreakerRules, reason?: string): Promise<BreakerSnapshot> {
    const ended: AttemptEnd = reason === undefined ? { result, ms: Math.max(0, this.clock() - started), count: true, rules } : { result, ms: Math.max(0, this.clock() - started), count: true, rules, reason };
    return this.breaker.record(claim, ended);
  }

  /** What a failure means to the breaker: transient ones count, the user's own are an answer, aborts teach nothing. */
  private resultOf(error: ProviderError): AttemptResult {
    const underlying = error.kind === 'stream_broken' && isProviderError(error.cause) ? error.cause : error;
    if (underlying.transient || error.transient) return 'failure';
    return underlying.kind === 'aborted' ? 'released' : 'answered';
  }

  /** Turns whatever the attempt threw into a ProviderError; cancels and bugs are thrown at once (nothing learned). */
  private classify(err: unknown, signal: AbortSignal, partial: string): { kind: 'throw'; error: unknown } | { kind: 'failed'; error: ProviderError } {
    if (signal.aborted) {
      return { kind: 'throw', error: isProviderError(err) && err.kind === 'aborted' ? err : new ProviderError('aborted', `${this.name}: call cancelled`, { cause: err, partialText: partial || undefined }) };
    }
    // Not a provider failure (a bug above the SDK): nothing learned about the endpoint.
    if (!isProviderError(err)) return { kind: 'throw', error: err };
    if (partial === '' || err.partialText !== undefined) return { kind: 'failed', error: err };
    return {
      kind: 'failed',
      error: new ProviderError('stream_broken', `${this.name}: the answer broke off after text was shown (${err.kind}: ${err.message})`, {
        cause: err,
        partialText: partial,
        status: err.status,
        shouldRetry: err.transient ? undefined : false,
      }),
    };
  }
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
