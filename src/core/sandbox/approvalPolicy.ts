import { READ_ONLY_TOOLS, type ToolName } from '../config/schema';
import type { Decision } from '../tools/types';
import { allow, ask, block, strictest } from './decisions';

export interface ApprovalInput {
  readonly tool: ToolName;
  /** `ToolHost.trusted`: false in Restricted Mode. */
  readonly trusted: boolean;
  /** The tools the agent was given in agents.yaml. */
  readonly agentTools: readonly ToolName[];
  readonly agentName: string;
  /** What the tool's own rules found (sandbox, shell policy, http policy); hard blocks and ask-every-time. */
  readonly restriction: Decision;
  /** The host's user-level settings approve this call (http auto-approve domains). */
  readonly autoApproved?: boolean;
  readonly grantKey?: string;
  /** "Always allow" grants made in this session. */
  readonly grants: ReadonlySet<string>;
}

/**
 * The one place decisions are layered (PRODUCT.md, "Hard blocks vs approvals"): Workspace Trust and
 * the agent's tool list, then the tool's hard rules, then the baseline (read-only tools inside the
 * workspace are allowed, everything else asks), then this session's grants, which can only turn a
 * plain `ask` into `allow`. Deny wins at every step; nothing from the workspace can widen it.
 */
export function decide(input: ApprovalInput): Decision {
  const readOnly = READ_ONLY_TOOLS.includes(input.tool);
  if (!input.trusted && !readOnly) {
    return block(`Restricted Mode: this workspace is not trusted, so only read, list_dir, glob and grep are available. Trust the workspace (Manage Workspace Trust) to let agents use ${input.tool}.`);
  }
  if (!input.agentTools.includes(input.tool)) {
    return block(`agent "${input.agentName}" is not given the ${input.tool} tool; add it to the agent's tools in agents.yaml`);
  }
  const baseline = readOnly || input.autoApproved === true ? allow(readOnly ? 'reads inside the workspace' : input.restriction.reason) : ask(`${input.tool} changes things`, input.grantKey);
  const combined = strictest([input.restriction, baseline]);
  if (combined.kind === 'ask') {
    const withKey: Decision = input.grantKey !== undefined ? { kind: 'ask', reason: combined.reason, grantKey: input.grantKey } : combined;
    if (input.grantKey !== undefined && input.grants.has(input.grantKey)) return allow(`allowed for this session ("always allow" ${input.grantKey})`);
    return withKey;
  }
  return combined;
}
