import type { AgentConfig, BreakwaterConfig } from '../config/schema';
import type { ToolCallRequest, ToolSpec } from '../providers/types';
import type { SandboxSettings, SandboxStatus } from '../sandbox/commandSandbox';
import type { ToolOutcome } from '../sandbox/processRunner';
import type { PreparedCall, StoredCall } from './preparedCall';

/**
 * The contract between the tool engine (src/core/tools, src/core/sandbox) and the run layer
 * (src/core/runs, src/core/agents). Everything a run stores is plain JSON (preparedCall.ts), so a
 * prepared call can be written to the run log, shown for approval in another process, and executed
 * after a crash. What one tool is lives in its definition (toolDefinition.ts).
 */

export type { ApprovalRequest, ApprovalView } from './approvalView';
export type { Decision } from '../sandbox/decisions';
export type { ToolOutcome } from '../sandbox/processRunner';
export type { ExecutionContext, Precondition, PreparedCall, StoredCall } from './preparedCall';

/** Who let a call run. `policy` for `allow`; the others answer an `ask`. */
export type Authorization =
  | { readonly by: 'policy' }
  | { readonly by: 'user' }
  | { readonly by: 'yes_flag' }
  | { readonly by: 'grant'; readonly grantKey: string };

/** Per-tool fleet stats for the tree view and `--status`. */
export interface ToolStats {
  readonly tool: string;
  readonly state: 'closed' | 'open' | 'half_open';
  readonly failures: number;
  readonly successes: number;
  readonly calls: number;
  readonly avgMs: number;
  /** Epoch ms when an open breaker lets the next probe through. */
  readonly retryAt?: number;
}

/** Who is calling, for per-agent narrowing and the servers an agent may reach. */
export interface ToolScope {
  readonly agentName: string;
  /** The agent's config; its `tools` may name any tool the engine has registered. */
  readonly agent: Omit<AgentConfig, 'tools'> & { readonly tools: readonly string[] };
  readonly config: BreakwaterConfig;
}

export interface ToolEngine {
  /** Specs for the agent's tools that this engine has (`delegate`, which the agent layer adds, is not one). */
  specs(tools: readonly string[]): ToolSpec[];
  /** Validates, resolves and judges a call. Never runs anything. */
  prepare(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall>;
  /**
   * Runs a prepared call. Refuses without a matching authorization (an `ask` needs user/yes/grant,
   * `ask_every_time` needs user), re-checks the sandbox at execution time, and for write/edit refuses
   * when the file no longer matches `precondition.beforeHash`.
   */
  execute(prepared: StoredCall, authorization: Authorization, signal: AbortSignal): Promise<ToolOutcome>;
  /** After a crash: did a started write/edit happen? */
  checkApplied(prepared: StoredCall): Promise<'applied' | 'not_applied' | 'changed'>;
  /** "Always allow" for this session (bash: the command, http: the domain). */
  grant(grantKey: string): void;
  stats(): ToolStats[];
  /** Whether commands run in the OS sandbox with these settings, and why not (optional for test doubles). */
  sandboxStatus?(settings: SandboxSettings): SandboxStatus;
  /**
   * Closes a tool's breaker by hand (persisted, emits `breaker_transition` when it was open or
   * half-open). Returns false for a name that is not one of the engine's tools. Optional so hosts
   * and tests with their own engine need not implement it.
   */
  reset?(tool: string): boolean;
  /** Resolves when what the engine records (tool breaker figures) is written; optional for custom engines. */
  flush?(): Promise<void>;
}

/** What a tool needs from its host: the extension and the CLI each provide one. */
export interface ToolHost {
  /** Workspace folders (absolute paths); multi-root aware. */
  readonly workspaceFolders: readonly string[];
  /** False in Restricted Mode: only read-only tools work. */
  readonly trusted: boolean;
  /** Path to ripgrep (`vscode.env.appRoot`'s in the extension, `rg` on PATH in the CLI). */
  readonly ripgrepPath: string;
  /**
   * The run store's root folder (`StoreLayout.root`): no tool may read, write, list or search it, nor
   * run a command in it. Defaults to the engine's `store` option; `.breakwater/runs` of every
   * workspace folder (the old layout) is always refused too.
   */
  readonly storeRoot?: string;
}

