import type { Decision } from './decisions';
import { allow, ask, block, strictest } from './decisions';

export interface ApprovalInput {
  readonly tool: string;
  /** The tool only reads (its definition says so): allowed inside the workspace, and kept in Restricted Mode. */
  readonly readOnly: boolean;
  /** The read-only tools there are, named when Restricted Mode refuses another. */
  readonly readOnlyTools: readonly string[];
  /** `ToolHost.trusted`: false in Restricted Mode. */
  readonly trusted: boolean;
  /** The tools the agent was given in agents.yaml. */
  readonly agentTools: readonly string[];
  readonly agentName: string;
  /**
   * What the tool's own rules found (sandbox, shell policy, http policy); hard blocks and
   * ask-every-time, whose reason names the rule behind it.
   */
  readonly restriction: Decision;
  /** What the call does, in a few words ("creates or overwrites src/x.ts"), from the tool's judgement. */
  readonly does?: string;
  /** The host's user-level settings approve this call (http auto-approve domains). */
  readonly autoApproved?: boolean;
  readonly grantKey?: string;
  /** "Always allow" grants made in this session. */
  readonly grants: ReadonlySet<string>;
}

/**
 * The one place decisions are layered (README, "What is blocked, asked and allowed"): Workspace Trust and
 * the agent's tool list, then the tool's hard rules, then the baseline (read-only tools inside the
 * workspace are allowed, everything else asks), then this session's grants, which can only turn a
 * plain `ask` into `allow`. Deny wins at every step; nothing from the workspace can widen it.
 * Every reason is a sentence for the approval card: "<tool>: what it does or why it asks — needs your
 * approval". It knows no tool: what a call does and why it is restricted come from the tool.
 */
export function decide(input: ApprovalInput): Decision {
  if (!input.trusted && !input.readOnly) {
    return block(`Restricted Mode: this workspace is not trusted, so only ${listed(input.readOnlyTools)} are available. Trust the workspace (Manage Workspace Trust) to let agents use ${input.tool}.`);
  }
  if (!input.agentTools.includes(input.tool)) {
    return block(`agent "${input.agentName}" is not given the ${input.tool} tool; add it to the agent's tools in agents.yaml`);
  }
  const baseline =
    input.readOnly || input.autoApproved === true
      ? allow(input.readOnly ? 'reads inside the workspace' : input.restriction.reason)
      : ask(`${input.tool}: ${input.does ?? 'acts outside the read-only tools'} — needs your approval`, input.grantKey);
  const combined = strictest([input.restriction, baseline]);
  if (combined.kind === 'ask') {
    if (input.grantKey !== undefined && input.grants.has(input.grantKey)) return allow(`allowed for this session ("always allow" ${input.grantKey})`);
    const reason = combined === baseline ? combined.reason : `${input.tool}: ${combined.reason} — needs your approval`;
    return input.grantKey !== undefined ? { kind: 'ask', reason, grantKey: input.grantKey } : { kind: 'ask', reason };
  }
  if (combined.kind === 'ask_every_time') return { kind: 'ask_every_time', reason: `${input.tool}: ${combined.reason} — needs your approval every time` };
  return combined;
}

/** "read, list_dir, glob and grep". */
function listed(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? 'no tools') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] ?? ''}`;
}
