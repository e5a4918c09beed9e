import type { BreakerState } from '../common/coreEvents';
import type { AttemptEnd, ClaimRef, SharedState } from '../state/sharedState';
import { breakerAfter, breakerCheck, CLOSED, retryAtOf, type AttemptResult, type BreakerRules, type BreakerSnapshot, type Permit } from '../state/circuitBreaker';
import { CircuitOpenError } from './errors';
import type { Clock } from './timers';

/**
 * One breaker (a provider endpoint's or a tool's) as this process uses it: its state machine is
 * `circuitBreaker.ts`, applied by the shared state so every process counts the same failures, sees the same
 * opening and lets exactly one probe through; this handle reads it and records outcomes.
 */
export class SharedBreaker {
  constructor(
    /** The policy key (`kind@endpoint`) or the tool name. */
    readonly name: string,
    /** Its key in the shared state (`p:…`, `t:…`). */
    readonly key: string,
    private readonly shared: SharedState,
    private readonly rules: () => BreakerRules,
    private readonly clock: Clock,
  ) {}

  get state(): BreakerState {
    return this.snapshot().state;
  }

  snapshot(): BreakerSnapshot {
    return this.shared.view().breakers[this.key]?.snap ?? CLOSED;
  }

  /** Throws `CircuitOpenError` if a call could not go through now; takes nothing. */
  check(): void {
    const gate = breakerCheck(this.snapshot(), this.rules(), this.clock());
    if (!gate.ok) throw this.refusal(gate.state, gate.retryAt);
  }

  /** Epoch ms from which a call may be tried again (open: the probe time; half-open: when the probe counts as lost). */
  retryAt(): number | undefined {
    return retryAtOf(this.snapshot(), this.rules());
  }

  refusal(state: 'open' | 'half_open', retryAt: number): CircuitOpenError {
    return new CircuitOpenError(this.name, state, retryAt, this.clock());
  }

  /**
   * Whether the breaker would still be closed after this attempt's end, as far as this process can tell now
   * (the provider_failure event says whether a retry follows; the retry itself checks the recorded outcome).
   */
  staysClosedAfter(result: AttemptResult, permit: Permit): boolean {
    if (permit === 'probe' && result !== 'success' && result !== 'answered') return false;
    const snap = this.snapshot();
    return breakerAfter(snap, this.rules(), this.clock(), '', result, '').state === 'closed';
  }

  /** Records how an attempt ended; resolves to the breaker as it is afterwards. */
  record(claim: ClaimRef, ended: AttemptEnd): Promise<BreakerSnapshot> {
    return this.shared.finish(claim, ended);
  }

  /** Closes it by hand (Reset Breaker); false when no process ever used it. */
  reset(reason = 'reset by the user'): Promise<boolean> {
    return this.shared.reset(this.key, reason);
  }
}
