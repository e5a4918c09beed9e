import type { BreakerState } from '../common/coreEvents';
import type { Event } from '../common/event';
import type { Disposable } from '../common/lifecycle';
import type { AttemptResult, BreakerRules, BreakerSnapshot, Permit } from './circuitBreaker';
import type { BudgetClaim, LimiterRules } from './records';

/**
 * The state every process sharing an API key and a budget must agree on — limiter slots, breakers (of
 * provider endpoints and of tools), budget reservations and fleet stats — behind one small interface with
 * three implementations: `memory` (one process; tests and hosts without a store), `file` (every process
 * using the same store folder, see `fileState.ts`) and `redis` (every machine using the same Redis
 * database, see `redisState.ts`).
 */
export interface SharedState {
  readonly backend: 'memory' | 'file' | 'redis';
  /** Where the state lives, for status (a Redis URL without its password). */
  readonly location: string;
  /**
   * One attempt asks to go. Fails fast on an open breaker (nothing taken); reserves `budget` (the call's
   * worst case, first attempt only) or refuses; takes a limiter slot — now (`granted`, with the breaker
   * permit) or later (`queued`: wait until `slot`, then `start`). Throws `StoreWriteError` or
   * `StateUnavailableError` when the claim could not be recorded: then nothing may be sent.
   */
  admit(request: AdmitRequest): Promise<Claimed<AdmitOutcome>>;
  /** A queued claim's slot has come: the breaker permit (or a refusal, which frees the slot). */
  start(claim: ClaimRef, rules: BreakerRules): Promise<StartOutcome>;
  /** A queued claim is given up before its slot (the caller was cancelled). */
  cancel(claim: ClaimRef): Promise<void>;
  /** An attempt ended; returns the breaker as it is afterwards (a retry goes only to a closed breaker). */
  finish(claim: ClaimRef, ended: AttemptEnd): Promise<BreakerSnapshot>;
  /** Replaces the reservation made by `admit` with the call's real cost (0 when nothing was charged). */
  settle(reservation: string, usd: number): Promise<void>;
  /** Closes a breaker by hand; returns false if no process ever used it. */
  reset(key: string, reason: string): Promise<boolean>;
  /** Records spending as rebuilt from the ledger (file backend: on a fresh or damaged state). */
  rebase(spent: Readonly<Record<string, number>>, unknown?: string): Promise<void>;
  /** The figures as last seen (the file backend reads what other processes appended first; cheap). */
  view(): SharedView;
  /** Reads the latest figures from the backend. */
  refresh(): Promise<SharedView>;
  /** Breaker transitions: `own` for those this process caused (audited), not for those seen from others. */
  readonly onTransition: Event<Transition & { readonly own: boolean }>;
  /** Damaged state that was skipped or rebuilt, once per cause (file and line, or what was lost). */
  readonly onWarning: Event<string>;
  /**
   * Calls `onChange` when other processes change the figures (the file backend watches the store folder,
   * Redis is asked every 2 s), for views that must show them without waiting for this process to act.
   */
  watch(onChange: () => void): Disposable;
  close(): Promise<void>;
}

export interface AdmitRequest {
  /** `p:<kind@endpoint>` or `t:<tool>` (see `providerKey`, `toolKey`). */
  readonly key: string;
  readonly breaker: BreakerRules;
  /** Absent for tools (no rate limit). */
  readonly limiter?: LimiterRules;
  /** The call's worst case against its budgets; absent on retries and for tools. */
  readonly budget?: BudgetClaim;
}

/** What `start`, `cancel` and `finish` need to find a claim. */
export interface ClaimRef {
  readonly id: string;
  readonly key: string;
  /** The limiter slot it was given (epoch ms). */
  readonly slot: number;
}

export type Claimed<O> = O & { readonly claim: ClaimRef };

export type BreakerRefusal = { readonly kind: 'refused'; readonly by: 'breaker'; readonly state: 'open' | 'half_open'; readonly retryAt: number };
export type AdmitOutcome =
  | BreakerRefusal
  | { readonly kind: 'refused'; readonly by: 'budget'; readonly scope: string; readonly committedUsd: number; readonly capUsd: number; readonly unknown?: string }
  | { readonly kind: 'granted'; readonly permit: Permit }
  /**
   * `slot` is on the backend's clock (Redis: the server's); `waitMs` is how long to wait from now, so a machine
   * whose clock is off still waits the right time.
   */
  | { readonly kind: 'queued'; readonly slot: number; readonly waitMs: number };
export type StartOutcome = BreakerRefusal | { readonly kind: 'granted'; readonly permit: Permit };

export interface AttemptEnd {
  readonly result: AttemptResult;
  /** Duration of the attempt in ms. */
  readonly ms: number;
  /** Whether it counts in calls/failures/successes (a cancelled tool call does not). */
  readonly count: boolean;
  readonly rules: BreakerRules;
  /** Why it failed (becomes the breaker's reason when it opens). */
  readonly reason?: string;
}

export interface Transition {
  readonly key: string;
  readonly from: BreakerState;
  readonly to: BreakerState;
  readonly snap: BreakerSnapshot;
  readonly at: number;
  readonly reason?: string;
}

/** Shared fleet figures of one breaker. */
export interface BreakerFigures {
  readonly snap: BreakerSnapshot;
  readonly probeMaxMs: number;
  readonly calls: number;
  readonly failures: number;
  readonly successes: number;
  readonly totalMs: number;
}

/** Use of one endpoint's rate limit, as every process sees it. */
export interface LimiterFigures {
  /** Requests started in the last window. */
  readonly used: number;
  readonly limit: number;
  readonly tokensUsed: number;
  readonly tokenLimit: number | null;
  /** Requests waiting for their slot, in every process. */
  readonly queued: number;
  /** The window, in ms (60 000). */
  readonly windowMs: number;
}

export interface BudgetFigures {
  /** USD spent per scope (`workspace`, `agent:NAME`). */
  readonly spent: Readonly<Record<string, number>>;
  /** USD held by calls in flight, per scope. */
  readonly reserved: Readonly<Record<string, number>>;
  /** Why spending is unknown (budgeted calls are refused until it is rebuilt). */
  readonly unknown?: string;
}

export interface SharedView {
  readonly breakers: Readonly<Record<string, BreakerFigures>>;
  readonly limiters: Readonly<Record<string, LimiterFigures>>;
  readonly budget: BudgetFigures;
}

export const providerKey = (policyName: string): string => `p:${policyName}`;
export const toolKey = (tool: string): string => `t:${tool}`;

const unavailableBrand = Symbol.for('breakwater.StateUnavailableError');

/** The shared state (Redis) could not be reached and `state.on_unavailable` is `fail`: nothing is sent. */
export class StateUnavailableError extends Error {
  readonly [unavailableBrand] = true;
  constructor(
    /** The Redis URL without its password. */
    readonly location: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`The shared state at ${location} is unreachable (${detail}); nothing was sent. Start the server, or set \`state.on_unavailable: local\` to fall back to this machine's store.`, options);
    this.name = 'StateUnavailableError';
  }
}

export function isStateUnavailableError(e: unknown): e is StateUnavailableError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[unavailableBrand] === true;
}
