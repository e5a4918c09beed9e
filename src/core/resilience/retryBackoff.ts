import { ExponentialBackoff, halfJitterGenerator, type IBackoff } from 'cockatiel';
import type { ProviderError } from '../providers/errors';

export interface RetryBackoffOptions {
  /** Base delay in milliseconds (`retry_delay` × 1000; default 1000). Attempt n waits between base·2ⁿ⁻¹/2 and base·2ⁿ⁻¹. */
  readonly baseDelayMs: number;
  /** Cap on a computed delay, in milliseconds; defaults to 60 000. */
  readonly maxDelayMs?: number;
  /**
   * A `retry-after` longer than this (ms) is not waited out inside a call: the call fails and the
   * fallback runs instead of silently hanging. Defaults to 120 000.
   */
  readonly maxRetryAfterMs?: number;
}

/**
 * Backoff for one call's retries: cockatiel's exponential backoff with half jitter (never less than
 * half the nominal delay, so a retry storm from many callers spreads out without ever hammering),
 * overridden by the server's `retry-after` when it sends one.
 */
export class RetryBackoff {
  private readonly factory: ExponentialBackoff<number>;
  private readonly maxRetryAfterMs: number;

  constructor(options: RetryBackoffOptions) {
    this.factory = new ExponentialBackoff({
      generator: halfJitterGenerator,
      initialDelay: Math.max(1, options.baseDelayMs),
      maxDelay: options.maxDelayMs ?? 60_000,
    });
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
  }

  /** Starts a fresh sequence for one call. */
  start(): RetryDelays {
    return new RetryDelays(this.factory, this.maxRetryAfterMs);
  }
}

export class RetryDelays {
  private backoff: IBackoff<unknown> | undefined;

  constructor(
    private readonly factory: ExponentialBackoff<number>,
    private readonly maxRetryAfterMs: number,
  ) {}

  /** Milliseconds to wait before the next attempt, or `undefined` when the server asks for longer than we wait. */
  next(error: ProviderError): number | undefined {
    this.backoff = this.backoff === undefined ? this.factory.next() : this.backoff.next(undefined);
    const retryAfter = error.retryAfterMs;
    if (retryAfter === undefined) return this.backoff.duration;
    return retryAfter > this.maxRetryAfterMs ? undefined : retryAfter;
  }
}
