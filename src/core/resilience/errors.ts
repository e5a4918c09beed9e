import { BrokenCircuitError } from 'cockatiel';

const circuitBrand = Symbol.for('breakwater.CircuitOpenError');

/**
 * Thrown without sending anything when a provider's breaker is open, or half-open with its one probe
 * already in flight. Extends cockatiel's `BrokenCircuitError`, so cockatiel's `isBrokenCircuitError`
 * recognises it too.
 */
export class CircuitOpenError extends BrokenCircuitError {
  readonly [circuitBrand] = true;

  constructor(
    /** The policy key, `kind@endpoint`. */
    readonly policyName: string,
    readonly state: 'open' | 'half_open',
    /** Epoch ms from which a call may be tried again. */
    readonly retryAt: number,
    now: number,
    /** The failure that opened the breaker, when known in this process. */
    readonly cause?: unknown,
  ) {
    const inSeconds = Math.max(0, Math.ceil((retryAt - now) / 1000));
    super(
      state === 'open'
        ? `${policyName} is failing; its circuit breaker is open. Retry in ${inSeconds} s, or reset the breaker.`
        : `${policyName} is being probed after an outage; retry in ${inSeconds} s.`,
    );
    this.name = 'CircuitOpenError';
  }
}

export function isCircuitOpenError(e: unknown): e is CircuitOpenError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[circuitBrand] === true;
}
