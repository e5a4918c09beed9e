import { abortedError, type Clock } from './timers';

export interface RateLimiterOptions {
  /** Requests allowed in any sliding window of `windowMs`. */
  readonly requestsPerWindow: number;
  /** Optional tokens (input + output, estimated) allowed per window; `null`/undefined for no token limit. */
  readonly tokensPerWindow?: number | null;
  /** Window length in milliseconds; defaults to 60 000 (per minute, as in the config). */
  readonly windowMs?: number;
  readonly clock: Clock;
  /** Called once per caller that has to wait, with how long it is expected to wait (ms). */
  readonly onThrottled?: (waitMs: number) => void;
}

interface Waiter {
  readonly tokens: number;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

export interface RateLimiterUsage {
  readonly requestsInWindow: number;
  readonly requestLimit: number;
  readonly tokensInWindow: number;
  readonly tokenLimit: number | null;
  /** Callers waiting their turn. */
  readonly queued: number;
}

/**
 * A sliding-window limiter (the seed's `RateLimiter`) with a FIFO queue: a caller that arrives while
 * others wait queues behind them even if a slot is free, so nobody starves under load. The request
 * window is a ring of the last N start times — O(1) per call; tokens are a short list of
 * (time, tokens) entries. The uncontended path allocates nothing and never awaits.
 */
export class SlidingWindowRateLimiter {
  private requestLimit: number;
  private tokenLimit: number | null;
  private readonly windowMs: number;
  /**
   * Start times of the last `requestLimit` requests, oldest first from `head` once full. It grows as
   * requests come, so a huge limit costs only what is used.
   */
  private ring: number[] = [];
  private head = 0;
  private tokenTimes: number[] = [];
  private tokenAmounts: number[] = [];
  private tokensInWindow = 0;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: RateLimiterOptions) {
    this.requestLimit = positiveInt(options.requestsPerWindow, 'requestsPerWindow');
    this.tokenLimit = options.tokensPerWindow ?? null;
    this.windowMs = options.windowMs ?? 60_000;
  }

  /** Applies new limits (config reload); recent history is kept so the new limit holds at once. */
  reconfigure(requestsPerWindow: number, tokensPerWindow: number | null): void {
    const newLimit = positiveInt(requestsPerWindow, 'requestsPerWindow');
    if (newLimit !== this.requestLimit) {
      const ordered = this.ordered();
      this.ring = ordered.slice(Math.max(0, ordered.length - newLimit));
      this.head = 0;
      this.requestLimit = newLimit;
    }
    this.tokenLimit = tokensPerWindow;
    this.pump();
  }

  /**
   * Takes a slot now if one is free and nobody is queued; returns `true` on success. The fast path
   * the policy tries before falling back to `acquire`; `now` saves a clock read when the caller has one.
   */
  tryAcquire(tokens = 0, now: number = this.options.clock()): boolean {
    if (this.queue.length > 0) return false;
    if (this.waitFor(tokens, now) > 0) return false;
    this.take(tokens, now);
    return true;
  }

  /** Waits (FIFO) for a slot; rejects with an `aborted` ProviderError if `signal` aborts first. */
  acquire(tokens = 0, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError(signal, 'Waiting for the rate limiter'));
    if (this.tryAcquire(tokens)) return Promise.resolve();
    const expectedWait = this.expectedWait(tokens);
    return new Promise<void>((resolve, reject) => {
      const onAbort = signal
        ? (): void => {
            const i = this.queue.indexOf(waiter);
            if (i >= 0) this.queue.splice(i, 1);
            reject(abortedError(signal, 'Waiting for the rate limiter'));
            this.pump();
          }
        : undefined;
      const waiter: Waiter = { tokens, resolve, reject, signal, onAbort };
      this.queue.push(waiter);
      if (onAbort) signal!.addEventListener('abort', onAbort, { once: true });
      this.options.onThrottled?.(expectedWait);
      this.pump();
    });
  }

  usage(): RateLimiterUsage {
    const now = this.options.clock();
    this.expireTokens(now);
    let inWindow = 0;
    for (const t of this.ring) if (t > now - this.windowMs) inWindow++;
    return { requestsInWindow: inWindow, requestLimit: this.requestLimit, tokensInWindow: this.tokensInWindow, tokenLimit: this.tokenLimit, queued: this.queue.length };
  }

  /** Rejects every waiter (shutdown). */
  dispose(reason: unknown = new Error('rate limiter disposed')): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of this.queue.splice(0)) {
      if (waiter.onAbort) waiter.signal!.removeEventListener('abort', waiter.onAbort);
      waiter.reject(reason);
    }
  }

  /** Milliseconds until `tokens` more could start at `now` (0 = now). */
  private waitFor(tokens: number, now: number): number {
    let wait = this.ring.length < this.requestLimit ? 0 : this.ring[this.head]! + this.windowMs - now;
    if (this.tokenLimit !== null && tokens > 0) {
      this.expireTokens(now);
      // A request larger than the whole per-window budget runs alone once the window is empty;
      // otherwise it would wait forever.
      let excess = this.tokensInWindow + Math.min(tokens, this.tokenLimit) - this.tokenLimit;
      for (let i = 0; excess > 0 && i < this.tokenTimes.length; i++) {
        excess -= this.tokenAmounts[i]!;
        wait = Math.max(wait, this.tokenTimes[i]! + this.windowMs - now);
      }
    }
    return wait > 0 ? wait : 0;
  }

  private expectedWait(tokens: number): number {
    const now = this.options.clock();
    // Each queued caller ahead takes a slot; a rough figure for the event, not a promise.
    const ahead = this.queue.length;
    const k = ahead - (this.requestLimit - this.ring.length);
    const ordered = k >= 0 ? this.ordered() : [];
    const byRequests = k < 0 ? 0 : ordered[k % ordered.length]! + this.windowMs * (1 + Math.floor(k / this.requestLimit)) - now;
    return Math.max(0, byRequests, ahead === 0 ? this.waitFor(tokens, now) : 0);
  }

  private take(tokens: number, now: number): void {
    if (this.ring.length < this.requestLimit) {
      this.ring.push(now);
    } else {
      this.ring[this.head] = now;
      this.head = (this.head + 1) % this.requestLimit;
    }
    if (this.tokenLimit !== null && tokens > 0) {
      this.tokenTimes.push(now);
      this.tokenAmounts.push(tokens);
      this.tokensInWindow += tokens;
    }
  }

  /** Request start times, oldest first. */
  private ordered(): number[] {
    return this.ring.length < this.requestLimit ? [...this.ring] : [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  private expireTokens(now: number): void {
    let drop = 0;
    while (drop < this.tokenTimes.length && this.tokenTimes[drop]! <= now - this.windowMs) {
      this.tokensInWindow -= this.tokenAmounts[drop]!;
      drop++;
    }
    if (drop > 0) {
      this.tokenTimes.splice(0, drop);
      this.tokenAmounts.splice(0, drop);
    }
  }

  /** Lets queued callers through in order while slots are free, then sleeps until the head's turn. */
  private pump(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const now = this.options.clock();
      const wait = this.waitFor(head.tokens, now);
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      this.take(head.tokens, now);
      if (head.onAbort) head.signal!.removeEventListener('abort', head.onAbort);
      head.resolve();
    }
  }
}

function positiveInt(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer (got ${n})`);
  return n;
}
