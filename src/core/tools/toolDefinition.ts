import { z } from 'zod';
import type { CommandSandbox } from '../sandbox/commandSandbox';
import type { IgnoreRules } from '../sandbox/ignoreRules';
import type { WorkspaceSandbox } from '../sandbox/workspaceSandbox';
import type { ApprovalRequest } from './approvalView';
import type { OutputCap } from '../sandbox/outputCap';
import type { Decision, ExecutionContext, Precondition, ToolHost, ToolOutcome } from './types';

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
  /**
   * Restrictions the tool found (hard blocks, ask-every-time); `allow` when none. An ask-every-time
   * reason is the whole explanation the card shows after "<tool>: ", naming the rule behind it.
   */
  readonly restriction: Decision;
  /** What the call does, in a few words for a card ("creates or overwrites src/x.ts"); the policy's "needs your approval" names it. */
  readonly does?: string;
  /** What the person deciding sees (kept with the call when it asks). */
  readonly approval?: ApprovalRequest;
  /** One line for lists, progress and `pending_approvals[].summary`. */
  readonly summary: string;
  /** Undo and crash information for a call that changes one file. */
  readonly precondition?: Precondition;
  /** The content the call replaces (null: a new file), saved to the run's backups so the run can be undone. */
  readonly previousContent?: string | null;
  /** The host's user-level settings let this call run without asking (http auto-approve domains). */
  readonly autoApproved?: boolean;
  /** "Always allow" key for an `ask` (bash: the command, http: the domain). */
  readonly grantKey?: string;
  /** The call cannot run as asked; the model gets this message. */
  readonly invalid?: string;
  /** The resolved real path the call acts on (file tools), handed from `judge` to `run`. */
  readonly target?: string;
  /** write/edit: the exact content the call will write, handed from `judge` to `run`. */
  readonly proposedContent?: string;
}

/**
 * Everything one tool is, in one place: adding a tool is writing one of these and listing it in
 * `registry.ts`. The engine, the approval gate, the run log, the card and the terminal prompt ask the
 * definition (or the data it returns) and know no tool by name.
 */
export interface ToolDefinition<A, N extends string = string> {
  /** The name the model calls it by (part of the interface: test/unit/tools/toolContract.test.ts lists them). */
  readonly name: N;
  /** What the model is told the tool does. */
  readonly description: string;
  /** The arguments; the JSON Schema the model sees is derived from it. */
  readonly schema: z.ZodType<A>;
  /** Only reads: allowed inside the workspace without asking, and the only tools left in Restricted Mode. */
  readonly readOnly: boolean;
  /** Side effects that cannot be checked afterwards: a call started before a crash is never repeated without asking. */
  readonly unverifiable: boolean;
  /**
   * The policy hook: resolves and judges a call without running anything — its restrictions, what it
   * does, the approval view, undo information. Called at `prepare` and again right before `run`.
   */
  judge(args: A, ctx: ToolContext): Promise<ToolJudgement>;
  /** Runs the call; the engine has already re-judged and authorized it. */
  run(args: A, ctx: ToolContext, judgement: ToolJudgement, signal: AbortSignal): Promise<ToolOutcome>;
}

/** A call whose arguments passed the tool's schema, ready to be judged and run. */
export interface BoundCall {
  /** The arguments as parsed (defaults filled in): what is stored and shown. */
  readonly args: unknown;
  judge(ctx: ToolContext): Promise<ToolJudgement>;
  run(ctx: ToolContext, judgement: ToolJudgement, signal: AbortSignal): Promise<ToolOutcome>;
}

/** A definition with its argument type sealed inside: what the registry and the engine hold. */
export interface Tool<N extends string = string> {
  readonly name: N;
  readonly description: string;
  readonly parameters: z.ZodType;
  readonly readOnly: boolean;
  readonly unverifiable: boolean;
  /** Validates the model's arguments: a call to judge and run, or what is wrong with them. */
  bind(args: unknown): { readonly ok: true; readonly call: BoundCall } | { readonly ok: false; readonly error: string };
}

/** Seals a definition: its parsed arguments only ever reach its own `judge` and `run`. */
export function defineTool<A, N extends string>(def: ToolDefinition<A, N>): Tool<N> {
  return {
    name: def.name,
    description: def.description,
    parameters: def.schema,
    readOnly: def.readOnly,
    unverifiable: def.unverifiable,
    bind(raw) {
      const parsed = def.schema.safeParse(raw);
      if (!parsed.success) return { ok: false, error: `Invalid arguments for ${def.name}: ${z.prettifyError(parsed.error)}` };
      const args = parsed.data;
      return { ok: true, call: { args, judge: (ctx) => def.judge(args, ctx), run: (ctx, judgement, signal) => def.run(args, ctx, judgement, signal) } };
    },
  };
}

/** The `path` argument of the file tools, described once for the model. */
export const workspacePathArg = z.string().min(1).describe('Path relative to the workspace folder (or absolute inside it).');

export function errorOutcome(error: string): ToolOutcome {
  return { status: 'error', error };
}
