import { z } from 'zod';

/** How the approval gate judges a call. Deny wins; `block` can never be lifted. */
export const decisionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('allow'), reason: z.string() }),
  /** Approval needed; `--yes` or an "always allow" grant may cover it. */
  z.strictObject({ kind: z.literal('ask'), reason: z.string(), grantKey: z.string().optional() }),
  /** Approval needed every time; no blanket approval covers it. */
  z.strictObject({ kind: z.literal('ask_every_time'), reason: z.string() }),
  z.strictObject({ kind: z.literal('block'), reason: z.string() }),
]);
export type Decision = z.infer<typeof decisionSchema>;

const RANK: Record<Decision['kind'], number> = { allow: 0, ask: 1, ask_every_time: 2, block: 3 };

/** How strict a decision is: allow < ask < ask every time < block. */
export const rank = (kind: Decision['kind']): number => RANK[kind];

/** Deny wins: the strictest of several decisions (the first one of that strictness keeps its reason). */
export function strictest(decisions: readonly Decision[]): Decision {
  let result: Decision = { kind: 'allow', reason: 'nothing restricts this call' };
  for (const d of decisions) if (RANK[d.kind] > RANK[result.kind]) result = d;
  return result;
}

export const allow = (reason: string): Decision => ({ kind: 'allow', reason });
export const ask = (reason: string, grantKey?: string): Decision => (grantKey === undefined ? { kind: 'ask', reason } : { kind: 'ask', reason, grantKey });
export const askEveryTime = (reason: string): Decision => ({ kind: 'ask_every_time', reason });
export const block = (reason: string): Decision => ({ kind: 'block', reason });

/**
 * The strictest of several decisions with every distinct reason of that strictness (up to `max`),
 * so an approval card says all that made a command ask every time, not only the first thing found.
 */
export function strictestWithReasons(decisions: readonly Decision[], max = 4): Decision {
  const top = strictest(decisions);
  const reasons = [...new Set(decisions.filter((d) => d.kind === top.kind).map((d) => d.reason))];
  if (reasons.length <= 1) return top;
  const shown = reasons.slice(0, max).join('; ') + (reasons.length > max ? `; and ${reasons.length - max} more` : '');
  return { ...top, reason: shown };
}
