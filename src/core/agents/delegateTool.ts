import { z } from 'zod';
import type { ToolSpec } from '../providers/types';

export const delegateArgsSchema = z.strictObject({
  agent: z.string().min(1).describe('Name of the agent to ask'),
  prompt: z.string().min(1).describe('What to ask it, with all the context it needs'),
});
export type DelegateArgs = z.infer<typeof delegateArgsSchema>;

/**
 * The `delegate` tool as the model sees it, naming the agents this one may ask (its `delegates`).
 * Offered only when that list is not empty: an agent may delegate to no one else.
 */
export function delegateSpec(delegates: readonly string[]): ToolSpec {
  return {
    name: 'delegate',
    description: `Ask another configured agent to do part of the work and return its answer. You may ask only: ${delegates.join(', ')}.`,
    parameters: delegateArgsSchema,
  };
}

/**
 * Why a delegation is refused, or undefined when it may go ahead. `chain`: the agents from the root
 * run down to the caller, inclusive; `allowed`: the caller's `delegates` list (in force now).
 */
export function delegationRefusal(args: DelegateArgs, chain: readonly string[], known: readonly string[], maxDepth: number, allowed: readonly string[]): string | undefined {
  const caller = chain.at(-1) ?? 'this agent';
  if (!known.includes(args.agent)) return `no agent named "${args.agent}"; known agents: ${known.join(', ')}`;
  if (!allowed.includes(args.agent)) {
    return allowed.length === 0
      ? `agent "${caller}" may not delegate: its delegates list is empty; add "${args.agent}" to agents.${caller}.delegates to allow it`
      : `agent "${caller}" may delegate only to ${allowed.join(', ')}; add "${args.agent}" to agents.${caller}.delegates to allow it`;
  }
  if (chain.includes(args.agent)) return `delegation cycle refused: ${[...chain, args.agent].join(' → ')}`;
  // The root run is depth 0, so the child would be at depth chain.length.
  if (chain.length > maxDepth) return `delegation depth limit (${maxDepth}) reached: ${[...chain, args.agent].join(' → ')}`;
  return undefined;
}
