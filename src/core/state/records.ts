import { z } from 'zod';
import { breakerSnapshotSchema } from './circuitBreaker';

/**
 * The records of the shared state: what each process appends to the shared log (file backend) or sends to
 * a Lua script (Redis). A record carries everything its outcome depends on — its time and the limits of the
 * config that wrote it — so every process that folds the same records reaches the same outcomes, whatever
 * its own config says. Validated with zod when read back (a hand-edited or damaged line is skipped with a
 * warning naming it).
 */

const ms = z.number().finite();
const id = z.string().min(1).max(80);
/** A breaker or limiter key: `p:<kind@endpoint>` for a provider endpoint, `t:<tool>` for a tool. */
const key = z.string().min(3).max(500);

export const breakerRulesSchema = z.object({ threshold: z.number().int().positive(), openMs: ms.nonnegative(), probeMaxMs: ms.positive(), enabled: z.boolean() });

export const limiterRulesSchema = z.object({
  /** Requests allowed in any window. */
  limit: z.number().int().positive(),
  /** Tokens allowed in any window, or null. */
  tokenLimit: z.number().int().positive().nullable(),
  /** Window length in ms, including the guard (see `LIMITER_GUARD_MS`). */
  windowMs: ms.positive(),
  /** Tokens this call may use (estimated input + max output). */
  tokens: z.number().int().nonnegative(),
});

export const budgetScopeSchema = z.object({ key: z.string().min(1), cap: z.number().nonnegative() });
export const budgetClaimSchema = z.object({
  /** Worst-case cost of the call. */
  usd: z.number().nonnegative(),
  scopes: z.array(budgetScopeSchema),
  /** The reservation lapses this many ms after its last renewal (its process died). */
  leaseMs: ms.positive(),
});

const base = { id, at: ms };

export const recordSchema = z.discriminatedUnion('k', [
  /** One attempt asks to go: breaker check, budget reservation (first attempt only), a limiter slot, the permit. */
  z.object({ k: z.literal('admit'), ...base, key, br: breakerRulesSchema, lim: limiterRulesSchema.optional(), bud: budgetClaimSchema.optional() }),
  /** A queued claim whose slot has come: takes the breaker permit now. */
  z.object({ k: z.literal('start'), ...base, key, claim: id, slot: ms, br: breakerRulesSchema }),
  /** A queued claim given up (cancelled): its slot is freed. */
  z.object({ k: z.literal('cancel'), ...base, key, claim: id, slot: ms }),
  /** An attempt ended. `count`: whether it counts in the fleet stats (a cancelled tool call does not). */
  z.object({ k: z.literal('done'), ...base, key, claim: id, result: z.enum(['success', 'failure', 'answered', 'released']), ms: ms.nonnegative(), count: z.boolean(), br: breakerRulesSchema, reason: z.string().max(2000).optional() }),
  /** A call's budget reservation is replaced by its real cost. */
  z.object({ k: z.literal('settle'), ...base, res: id, usd: z.number().nonnegative() }),
  /** The process holding these reservations is alive: they lapse `leaseMs` from now instead. */
  z.object({ k: z.literal('renew'), ...base, res: z.array(id), leaseMs: ms.positive() }),
  /** The user closed a breaker by hand. */
  z.object({ k: z.literal('reset'), ...base, key, reason: z.string().max(500) }),
  /** Spending as rebuilt from the cost ledger (or the run logs); `unknown` refuses budgeted calls until rebuilt. */
  z.object({ k: z.literal('rebase'), ...base, spent: z.record(z.string(), z.number().nonnegative()), unknown: z.string().optional() }),
  /** Breaker state found in a file written by an older version (`breakers.json`, `tool-breakers.json`). */
  z.object({ k: z.literal('import'), ...base, key, snap: breakerSnapshotSchema, calls: z.number().int().nonnegative(), failures: z.number().int().nonnegative(), successes: z.number().int().nonnegative(), totalMs: ms.nonnegative() }),
  /** Ends a log segment: records after it are void and go to the next segment. */
  z.object({ k: z.literal('seal'), ...base }),
]);
export type StateRecord = z.infer<typeof recordSchema>;
export type BreakerRulesRecord = z.infer<typeof breakerRulesSchema>;
export type LimiterRules = z.infer<typeof limiterRulesSchema>;
export type BudgetClaim = z.infer<typeof budgetClaimSchema>;

/**
 * The slack added to a limiter window. A request's slot is taken a little before the provider sees it
 * (the SDK builds and sends it after admission), and that delay varies between processes; without a guard
 * the first request of a window could land at the provider later than the one that reuses its slot 60 s
 * on, and the provider would count one too many in its window.
 */
export const LIMITER_GUARD_MS = 1000;

/** `StateModel`'s data, as a segment header carries it. */
export const modelDataSchema = z.object({
  breakers: z.record(
    z.string(),
    z.object({ snap: breakerSnapshotSchema, probeMaxMs: ms.positive(), calls: z.number().int().nonnegative(), failures: z.number().int().nonnegative(), successes: z.number().int().nonnegative(), totalMs: ms.nonnegative() }),
  ),
  limiters: z.record(z.string(), z.object({ slots: z.array(ms), tokens: z.array(z.number().int().nonnegative()), limit: z.number().int().positive(), tokenLimit: z.number().int().positive().nullable(), windowMs: ms.positive() })),
  budget: z.object({
    spent: z.record(z.string(), z.number().nonnegative()),
    reservations: z.record(z.string(), z.object({ scopes: z.array(z.string()), usd: z.number().nonnegative(), until: ms })),
    lapsed: z.record(z.string(), z.object({ scopes: z.array(z.string()), usd: z.number().nonnegative() })),
    unknown: z.string().optional(),
  }),
});
