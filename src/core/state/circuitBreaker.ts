import { z } from 'zod';

/**
 * The one circuit breaker of Breakwater, for provider endpoints and tools alike: a
 * pure state machine over a snapshot, applied by the shared state (`src/core/state/`) in the order every
 * process agrees on, so the count of consecutive failures, the opening, the single half-open probe and its
 * result are the same for every process that shares the store (or the Redis server). The Redis backend
 * runs the same rules in Lua (`state/redisScripts.ts`); keep the two in step.
 *
 * Cockatiel's `CircuitBreakerPolicy` makes callers that arrive while a half-open probe is in flight WAIT
 * for it; we make them fail fast with the time to retry, so the state machine is ours.
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
  z.object({
    state: z.literal('half_open'),
    openedAt: z.number(),
    probeStartedAt: z.number(),
    reason: z.string(),
    /** The claim that holds the probe; absent in snapshots written before the state was shared. */
    probe: z.string().optional(),
    /** Epoch ms after which the probe counts as lost (its process died) and the next caller probes. */
    probeUntil: z.number().optional(),
  }),
]);
export type BreakerSnapshot = z.infer<typeof breakerSnapshotSchema>;

export const CLOSED: BreakerSnapshot = Object.freeze({ state: 'closed', consecutiveFailures: 0 });

/** The settings a breaker runs on; every claim carries them, so processes with different configs still agree. */
export interface BreakerRules {
  /** Consecutive transient failures that open it (`circuit_breaker_threshold`, default 5; tools: `tool_breaker_threshold`, 3). */
  readonly threshold: number;
  /** Milliseconds an open breaker waits before one probe (`circuit_breaker_timeout` × 1000, default 30 000). */
  readonly openMs: number;
  /** Milliseconds a probe may take before it counts as lost (the per-call timeout; its worst case). */
  readonly probeMaxMs: number;
  /** `enable_circuit_breaker`; when false every call goes through and nothing opens it. */
  readonly enabled: boolean;
}

/** What a caller got: a normal call, or the one half-open probe. */
export type Permit = 'normal' | 'probe';

/** The result of an attempt, as the breaker counts it. */
export type AttemptResult =
  /** It worked. */
  | 'success'
  /** A transient failure (5xx, overload, timeout, network): counts toward opening. */
  | 'failure'
  /** The endpoint answered with the user's own error (auth, bad request): not a failure, but proof it is up. */
  | 'answered'
  /** Cancelled or a bug above the endpoint: nothing learned; a cancelled probe hands the turn on. */
  | 'released';

export type Gate =
  | { readonly ok: true; readonly permit: Permit; readonly next: BreakerSnapshot }
  | { readonly ok: false; readonly state: 'open' | 'half_open'; readonly retryAt: number };

/** Whether a call could go now, without taking anything (fail fast before queueing or reserving budget). */
export function breakerCheck(snap: BreakerSnapshot, rules: BreakerRules, now: number): Gate {
  if (!rules.enabled || snap.state === 'closed') return { ok: true, permit: 'normal', next: snap };
  if (snap.state === 'open') return now < snap.retryAt ? { ok: false, state: 'open', retryAt: snap.retryAt } : { ok: true, permit: 'probe', next: snap };
  const until = probeDeadline(snap, rules);
  return now < until ? { ok: false, state: 'half_open', retryAt: until } : { ok: true, permit: 'probe', next: snap };
}

/**
 * Right before sending: a normal permit, or the one probe (open and due → half-open, held by `claim`), or a
 * refusal with the time to retry. A half-open breaker whose probe outlived its worst case is probed again.
 */
export function breakerGate(snap: BreakerSnapshot, rules: BreakerRules, now: number, claim: string): Gate {
  const check = breakerCheck(snap, rules, now);
  if (!check.ok || check.permit === 'normal') return check;
  const open = snap as Exclude<BreakerSnapshot, { state: 'closed' }>;
  return {
    ok: true,
    permit: 'probe',
    next: { state: 'half_open', openedAt: open.openedAt, probeStartedAt: now, reason: open.reason, probe: claim, probeUntil: now + rules.probeMaxMs },
  };
}

/** The breaker after an attempt by `claim` (holding `permit`) ended with `result`. */
export function breakerAfter(snap: BreakerSnapshot, rules: BreakerRules, now: number, claim: string, result: AttemptResult, reason: string): BreakerSnapshot {
  if (!rules.enabled) return snap.state === 'closed' ? snap : CLOSED;
  const isProbe = snap.state === 'half_open' && snap.probe === claim;
  if (isProbe) {
    switch (result) {
      case 'success':
      case 'answered':
        return CLOSED;
      case 'failure':
        return { state: 'open', openedAt: now, retryAt: now + rules.openMs, reason: `probe failed: ${reason}` };
      case 'released':
        return { state: 'open', openedAt: snap.openedAt, retryAt: now, reason: snap.reason };
    }
  }
  if (snap.state !== 'closed') return snap; // an attempt that started before it opened teaches nothing now
  if (result === 'success') return snap.consecutiveFailures === 0 ? snap : CLOSED;
  if (result !== 'failure') return snap;
  const failures = snap.consecutiveFailures + 1;
  return failures >= rules.threshold ? { state: 'open', openedAt: now, retryAt: now + rules.openMs, reason } : { state: 'closed', consecutiveFailures: failures };
}

/** When a half-open probe counts as lost. */
export function probeDeadline(snap: Extract<BreakerSnapshot, { state: 'half_open' }>, rules: BreakerRules): number {
  return snap.probeUntil ?? snap.probeStartedAt + rules.probeMaxMs;
}

/** Epoch ms from which a call may be tried again, for an open or half-open breaker. */
export function retryAtOf(snap: BreakerSnapshot, rules: Pick<BreakerRules, 'probeMaxMs'>): number | undefined {
  if (snap.state === 'open') return snap.retryAt;
  if (snap.state === 'half_open') return snap.probeUntil ?? snap.probeStartedAt + rules.probeMaxMs;
  return undefined;
}
