import type { z } from 'zod';
import type { AgentConfig, BreakwaterConfig, ToolName } from '../config/schema';
import type { ToolCallRequest, ToolSpec } from '../providers/types';
import type { SandboxSettings, SandboxStatus } from '../sandbox/commandSandbox';

/**
 * The contract between the tool engine (src/core/tools, src/core/sandbox) and the run layer
 * (src/core/runs, src/core/agents). Everything a run stores is plain JSON, so a prepared call can be
 * written to the run log, shown for approval in another process, and executed after a crash.
 */

/** How the approval gate judges a call. Deny wins; `block` can never be lifted. */
export type Decision =
  | { readonly kind: 'allow'; readonly reason: string }
  /** Approval needed; `--yes` or an "always allow" grant may cover it. */
  | { readonly kind: 'ask'; readonly reason: string; readonly grantKey?: string }
  /** Approval needed every time; no blanket approval covers it. */
  | { readonly kind: 'ask_every_time'; readonly reason: string }
  | { readonly kind: 'block'; readonly reason: string };

/** What the user must see to decide. */
export type ApprovalRequest =
  | {
      readonly tool: 'write' | 'edit';
      /** The resolved real path. */
      readonly path: string;
      readonly relativePath: string;
      /** Unified diff of current → proposed. */
      readonly diff: string;
      readonly currentContent: string | null;
      readonly proposedContent: string;
    }
  /** `unsandboxed`: set when the command will run without the OS sandbox; says why, in words ("not sandboxed: …"). */
  | { readonly tool: 'bash'; readonly command: string; readonly subcommands: readonly string[]; readonly cwd: string; readonly unsandboxed?: string }
  | { readonly tool: 'http_request'; readonly method: string; readonly url: string; readonly host: string; readonly resolvedAddress?: string }
  | { readonly tool: 'ssh'; readonly server: string; readonly target: string; readonly command: string; readonly subcommands: readonly string[]; readonly unsandboxed?: string }
  | { readonly tool: 'read' | 'list_dir' | 'glob' | 'grep'; readonly path: string; readonly relativePath: string };

/**
 * Lets a run decide after a crash whether a started call already happened: for `write`/`edit`,
 * the file's hash before and the hash the call will produce.
 */
export interface Precondition {
  readonly path: string;
  /** sha256 of the file before the call; null when it did not exist. */
  readonly beforeHash: string | null;
  /** sha256 the file will have once the call is applied. */
  readonly afterHash: string;
}

export interface PreparedCall {
  readonly callId: string;
  readonly tool: ToolName;
  readonly args: unknown;
  readonly decision: Decision;
  /** Present when the decision is `ask` or `ask_every_time`. */
  readonly approval?: ApprovalRequest;
  /** One line for lists and the CLI's `pending_approvals[].summary`. */
  readonly summary: string;
  readonly precondition?: Precondition;
  /** `write`/`edit`: the file's content before the call, kept in the store so a run can be undone. */
  readonly previousContent?: string | null;
  /** Side effects that cannot be checked afterwards (`bash`, `http_request`, `ssh`). */
  readonly unverifiable: boolean;
  /**
   * Set when the call cannot run as asked (unknown tool, arguments that fail the schema, an `edit`
   * whose old_string is missing). The decision is then `allow`: executing answers the model with
   * this error without running anything and without counting against the tool's breaker.
   */
  readonly invalid?: string;
  /** What `execute` needs to re-judge and run the call without the scope (written with the call). */
  readonly context?: ExecutionContext;
}

/** The scope's policy, flattened to plain JSON so a stored call can be re-checked after a crash. */
export interface ExecutionContext {
  readonly agentName: string;
  readonly agentTools: readonly ToolName[];
  readonly sandboxPaths: boolean;
  /** Each non-empty list must admit every program (settings, then the agent's narrowing list). */
  readonly allowedLists: readonly (readonly string[])[];
  readonly denied: readonly string[];
  readonly httpAllowedDomains: readonly string[];
  readonly sshStrictHostChecking: boolean;
  /** The servers this agent may reach (named in `servers` and in the agent's `servers`). */
  readonly servers: Readonly<Record<string, { readonly host: string; readonly user: string; readonly port: number; readonly key?: string }>>;
  readonly breaker: { readonly threshold: number; readonly resetMs: number };
  /** `settings.sandbox`: how commands are confined (absent in calls stored before it existed: the defaults). */
  readonly sandbox?: SandboxSettings;
}

/** Who let a call run. `policy` for `allow`; the others answer an `ask`. */
export type Authorization =
  | { readonly by: 'policy' }
  | { readonly by: 'user' }
  | { readonly by: 'yes_flag' }
  | { readonly by: 'grant'; readonly grantKey: string };

export type ToolOutcome =
  | { readonly status: 'ok'; readonly output: string; readonly truncated: boolean }
  | { readonly status: 'error'; readonly error: string }
  /** Refused by a hard rule, an open tool breaker or an untrusted workspace; nothing ran. */
  | { readonly status: 'blocked'; readonly error: string };

/** Per-tool fleet stats (seed 000) for the tree view and `--status`. */
export interface ToolStats {
  readonly tool: ToolName;
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
  readonly agent: AgentConfig;
  readonly config: BreakwaterConfig;
}

export interface ToolEngine {
  /** Specs for the agent's tools (without `delegate`, which the agent layer adds). */
  specs(tools: readonly ToolName[]): ToolSpec[];
  /** Validates, resolves and judges a call. Never runs anything. */
  prepare(call: ToolCallRequest, scope: ToolScope): Promise<PreparedCall>;
  /**
   * Runs a prepared call. Refuses without a matching authorization (an `ask` needs user/yes/grant,
   * `ask_every_time` needs user), re-checks the sandbox at execution time, and for write/edit refuses
   * when the file no longer matches `precondition.beforeHash`.
   */
  execute(prepared: PreparedCall, authorization: Authorization, signal: AbortSignal): Promise<ToolOutcome>;
  /** After a crash: did a started write/edit happen? */
  checkApplied(prepared: PreparedCall): Promise<'applied' | 'not_applied' | 'changed'>;
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

export type ToolArgs<T extends z.ZodType> = z.infer<T>;
