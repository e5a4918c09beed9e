import { READ_ONLY_TOOLS, type ToolName } from '../config/schema';
import type { ApprovalRequest, Decision } from '../tools/types';
import { allow, ask, block, strictest } from './decisions';
import { protectedWriteReason, secretReadReason } from './protectedPaths';

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
  /** What the call would do (the resolved path, the command, the host), so a reason can name it. */
  readonly subject?: ApprovalRequest;
}

/**
 * The one place decisions are layered (PRODUCT.md, "Hard blocks vs approvals"): Workspace Trust and
 * the agent's tool list, then the tool's hard rules, then the baseline (read-only tools inside the
 * workspace are allowed, everything else asks), then this session's grants, which can only turn a
 * plain `ask` into `allow`. Deny wins at every step; nothing from the workspace can widen it.
 * Every `ask` reason is a sentence for the approval card: what the call does and why it asks.
 */
export function decide(input: ApprovalInput): Decision {
  const readOnly = READ_ONLY_TOOLS.includes(input.tool);
  if (!input.trusted && !readOnly) {
    return block(`Restricted Mode: this workspace is not trusted, so only read, list_dir, glob and grep are available. Trust the workspace (Manage Workspace Trust) to let agents use ${input.tool}.`);
  }
  if (!input.agentTools.includes(input.tool)) {
    return block(`agent "${input.agentName}" is not given the ${input.tool} tool; add it to the agent's tools in agents.yaml`);
  }
  const baseline = readOnly || input.autoApproved === true ? allow(readOnly ? 'reads inside the workspace' : input.restriction.reason) : ask(baselineReason(input.tool, input.subject), input.grantKey);
  const combined = strictest([input.restriction, baseline]);
  if (combined.kind === 'ask') {
    if (input.grantKey !== undefined && input.grants.has(input.grantKey)) return allow(`allowed for this session ("always allow" ${input.grantKey})`);
    const reason = combined === baseline ? combined.reason : `${input.tool}: ${combined.reason} — needs your approval`;
    return input.grantKey !== undefined ? { kind: 'ask', reason, grantKey: input.grantKey } : { kind: 'ask', reason };
  }
  if (combined.kind === 'ask_every_time') return { kind: 'ask_every_time', reason: everyTimeReason(input.tool, combined.reason, input.subject) };
  return combined;
}

/** Why a call that changes things asks, in plain words: "write: creates or overwrites src/x.ts — needs your approval". */
export function baselineReason(tool: ToolName, subject: ApprovalRequest | undefined): string {
  const what = ((): string => {
    switch (subject?.tool) {
      case 'write':
        return `creates or overwrites ${subject.relativePath}`;
      case 'edit':
        return `changes ${subject.relativePath}`;
      case 'bash':
        return 'runs a command in the workspace';
      case 'http_request':
        return `sends a ${subject.method} request to ${subject.host}`;
      case 'ssh':
        return `runs a command on ${subject.server} (${subject.target})`;
      default:
        return tool === 'bash' ? 'runs a command in the workspace' : tool === 'write' || tool === 'edit' ? 'changes a file' : 'acts outside the read-only tools';
    }
  })();
  return `${tool}: ${what} — needs your approval`;
}

/**
 * An ask-every-time reason that names the rule behind it: the protected-path rule for writes to
 * `.git/`, `.vscode/`, `.breakwater/`, `.breakwaterignore`; the secret-file rule for reads of likely
 * secrets; the shell policy for commands it cannot see through.
 */
function everyTimeReason(tool: ToolName, reason: string, subject: ApprovalRequest | undefined): string {
  const always = 'needs your approval every time';
  if ((subject?.tool === 'write' || subject?.tool === 'edit') && protectedWriteReason(subject.relativePath) !== undefined) {
    return `${tool}: ${subject.relativePath} is a protected path (.git/, .vscode/, .breakwater/ and .breakwaterignore) — ${protectedWriteReason(subject.relativePath)} — ${always}`;
  }
  if (subject?.tool === 'read' || subject?.tool === 'grep') {
    // Reads ask every time only under the secret-file rule; its own wording when the name says it all.
    const detail = secretReadReason(subject.relativePath) ?? reason.replace(/^reading [^:]*: /, '');
    return `${tool}: ${detail} (secret-file rule: .env*, *.pem, *.key, id_rsa*) — ${always}`;
  }
  // The OS sandbox's reason ("not sandboxed: …") is not the shell policy's; it names its own rule.
  if ((tool === 'bash' || tool === 'ssh') && !reason.startsWith('not sandboxed')) return `${tool}: ${reason} (shell policy: no "always allow" for this) — ${always}`;
  return `${tool}: ${reason} — ${always}`;
}
