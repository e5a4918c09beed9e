import type { z } from 'zod';
import type { CommandSandbox } from '../sandbox/commandSandbox';
import type { IgnoreRules } from '../sandbox/ignoreRules';
import type { WorkspaceSandbox } from '../sandbox/workspaceSandbox';
import type { ApprovalRequest, Decision, ExecutionContext, Precondition, ToolHost, ToolOutcome } from './types';
import type { OutputCap } from './outputCap';

/** Everything a tool may consult; built by the engine for `prepare` and again for `execute`. */
export interface ToolContext {
  readonly host: ToolHost;
  readonly policy: ExecutionContext;
  readonly sandbox: WorkspaceSandbox;
  readonly ignoreRules: IgnoreRules;
  readonly cap: OutputCap;
  /** Domains whose requests run without asking (user-level setting from the host only). */
  readonly autoApproveDomains: readonly string[];
  /** Let `http_request` reach link-local and cloud metadata addresses (host option; default false). */
  readonly allowMetadataAddresses: boolean;
  /** Milliseconds a `bash`/`ssh` command may run; default 120 000. */
  readonly commandTimeoutMs: number;
  /** Starts every process a tool runs, inside the OS sandbox where one can start. */
  readonly commands: CommandSandbox;
}

/** A tool's judgement of one call, before the approval policy adds trust, baseline and grants. */
export interface ToolJudgement {
  /** Restrictions the tool found (hard blocks, ask-every-time); `allow` when none. */
  readonly restriction: Decision;
  readonly approval?: ApprovalRequest;
  readonly summary: string;
  readonly precondition?: Precondition;
  readonly previousContent?: string | null;
  /** The host's user-level settings let this call run without asking (http auto-approve domains). */
  readonly autoApproved?: boolean;
  /** "Always allow" key for an `ask` (bash: the command, http: the domain). */
  readonly grantKey?: string;
  /** The call cannot run as asked; the model gets this message. */
  readonly invalid?: string;
  /** The resolved real path the call acts on (file tools). */
  readonly target?: string;
  /** write/edit: the exact content the call will write. */
  readonly proposedContent?: string;
}

export interface ToolDefinition<A = unknown> {
  readonly name: string;
  readonly description: string;
  readonly schema: z.ZodType<A>;
  /** True when the call only reads (no approval needed inside the workspace). */
  readonly readOnly: boolean;
  /** Side effects that cannot be checked afterwards. */
  readonly unverifiable: boolean;
  judge(args: A, ctx: ToolContext): Promise<ToolJudgement>;
  /** Runs the call; the engine has already re-judged and authorized it. */
  run(args: A, ctx: ToolContext, judgement: ToolJudgement, signal: AbortSignal): Promise<ToolOutcome>;
}

export function errorOutcome(error: string): ToolOutcome {
  return { status: 'error', error };
}
