/**
 * Per-attempt timeouts and caller-cancel linking, cheap enough for the policy's ≤ 2 µs budget. Node
 * charges ~1–4 µs for each timer, event listener or AbortSignal, so: one timer per policy is armed
 * for the earliest deadline (attempts of a policy share one timeout, so deadlines come in order); a
 * caller's AbortSignal gets one listener for its whole life, fanning out to its running attempts; and
 * an attempt's own AbortSignal is only created if the attempt asks for it (every real provider call
 * does; the benchmark's bare function does not).
 */

/** The abort reason for our own timeout; named like `AbortSignal.timeout()`'s so every layer reads it as a timeout. */
export class AttemptTimeout extends Error {
  override name = 'TimeoutError';
}

/** What an attempt is given: its 1-based number and a signal that aborts on the caller's cancel or the timeout. */
export interface AttemptContext {
  readonly attemptNo: number;
  readonly signal: AbortSignal;
}

const linked = new WeakMap<AbortSignal, Set<AbortController>>();

function link(caller: AbortSignal, controller: AbortController): void {
  let set = linked.get(caller);
  if (set === undefined) {
    const attempts = new Set<AbortController>();
    set = attempts;
    linked.set(caller, attempts);
    caller.addEventListener(
      'abort',
      () => {
        for (const c of attempts) c.abort(caller.reason);
        attempts.clear();
      },
      { once: true },
    );
  }
  set.add(controller);
}

export class Attempt implements AttemptContext {
  private controller: AbortController | undefined;
  private timeoutReason: AttemptTimeout | undefined;

  constructor(
    readonly attemptNo: number,
    readonly caller: AbortSignal,
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.timeoutReason !== undefined) this.controller.abort(this.timeoutReason);
      else if (this.caller.aborted) this.controller.abort(this.caller.reason);
      else link(this.caller, this.controller);
    }
    return this.controller.signal;
  }

  /** Our timeout fired for this attempt (and not the caller's cancel first). */
  get timedOut(): AttemptTimeout | undefined {
    return this.timeoutReason;
  }

  expire(): void {
    if (this.caller.aborted || this.timeoutReason !== undefined) return;
    this.timeoutReason = new AttemptTimeout(`no complete answer within ${this.timeoutMs / 1000} s`);
    this.controller?.abort(this.timeoutReason);
  }

  unlink(): void {
    if (this.controller !== undefined) linked.get(this.caller)?.delete(this.controller);
  }
}

export class AttemptTimeouts {
  private readonly inFlight = new Set<Attempt>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;

  constructor(private readonly clock: () => number) {}

  /** Starts an attempt that times out after `timeoutMs` (0 = never). */
  start(caller: AbortSignal, attemptNo: number, timeoutMs: number, now: number = this.clock()): Attempt {
    const attempt = new Attempt(attemptNo, caller, timeoutMs > 0 ? now + timeoutMs : Infinity, timeoutMs);
    if (attempt.deadline !== Infinity) {
      this.inFlight.add(attempt);
      if (attempt.deadline < this.timerAt) this.arm(attempt.deadline);
    }
    return attempt;
  }

  /** The attempt settled. */
  finish(attempt: Attempt): void {
    this.inFlight.delete(attempt);
    attempt.unlink();
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => this.expire(), Math.max(0, at - this.clock()));
    // The in-flight request keeps the process alive, not this timer: a CLI exits as soon as its work is done.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private expire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock();
    let next = Infinity;
    for (const attempt of this.inFlight) {
      if (attempt.deadline <= now) {
        this.inFlight.delete(attempt);
        attempt.expire();
      } else if (attempt.deadline < next) {
        next = attempt.deadline;
      }
    }
    if (next !== Infinity) this.arm(next);
  }
}
