import { z } from 'zod';
import type { ToolSpec } from '../providers/types';

export const delegateArgsSchema = z.strictObject({
  agent: z.string().min(1).describe('Name of the agent to ask'),
  prompt: z.string().min(1).describe('What to ask it, with all the context it needs'),
});
export type DelegateArgs = z.infer<typeof delegateArgsSchema>;

export const DELEGATE_SPEC: ToolSpec = {
  name: 'delegate',
  description: 'Ask another configured agent to do part of the work and return its answer.',
  parameters: delegateArgsSchema,
};

/** Why a delegation is refused, or undefined when it may go ahead. */
/** `chain`: the agents from the root run down to the caller, inclusive. */
export function delegationRefusal(args: DelegateArgs, chain: readonly string[], known: readonly string[], maxDepth: number): string | undefined {
  if (!known.includes(args.agent)) return `no agent named "${args.agent}"; known agents: ${known.join(', ')}`;
  if (chain.includes(args.agent)) return `delegation cycle refused: ${[...chain, args.agent].join(' → ')}`;
  // The root run is depth 0, so the child would be at depth chain.length.
  if (chain.length > maxDepth) return `delegation depth limit (${maxDepth}) reached: ${[...chain, args.agent].join(' → ')}`;
  return undefined;
}
