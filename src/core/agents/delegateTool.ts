import { z } from 'zod';
import { visibleText } from '../common/visibleText';
import type { ToolSpec } from '../providers/types';
import type { PreparedCall } from '../tools/types';

/**
 * `delegate {agent, prompt}`: ask another configured agent. Not one of the engine's definitions
 * (tools/registry.ts) on purpose: its effect is a child run in the run store, its judgement reads
 * the run's delegation chain and the agents in the config, it is never approved (the child's own
 * calls are), and after a crash it is resumed (the child run), never re-checked against a file or
 * re-asked. So it lives here, whole — name, schema, description, policy — and the tool step hands
 * it to the run layer by this name.
 */
export const DELEGATE_TOOL = 'delegate';

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
    name: DELEGATE_TOOL,
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

/** Where a delegation stands in its run: the chain above the caller, the configured agents, and the caller's `delegates`. */
export interface DelegationScope {
  /** The agents from the root run down to the caller, inclusive. */
  readonly chain: readonly string[];
  readonly known: readonly string[];
  readonly maxDepth: number;
  readonly allowed: readonly string[];
}

/**
 * Judges a delegate call: allowed (delegating needs no approval; the child's calls do) or blocked
 * with why; arguments that fail the schema are an error for the model.
 */
export function prepareDelegation(callId: string, rawArgs: unknown, scope: DelegationScope): { readonly prepared: PreparedCall } | { readonly error: string } {
  const parsed = delegateArgsSchema.safeParse(rawArgs);
  if (!parsed.success) return { error: `invalid delegate arguments: ${parsed.error.issues.map((i) => i.message).join('; ')}` };
  const refusal = delegationRefusal(parsed.data, scope.chain, scope.known, scope.maxDepth, scope.allowed);
  return {
    prepared: {
      callId,
      tool: DELEGATE_TOOL,
      args: parsed.data,
      decision: refusal !== undefined ? { kind: 'block', reason: refusal } : { kind: 'allow', reason: 'delegating to another agent needs no approval; its own calls do' },
      summary: `delegate to ${visibleText(parsed.data.agent)}`,
      unverifiable: false,
    },
  };
}
