import type { ConfigStatus, FailureKind, RunListStatus, ToolStats } from '../core/index';

/**
 * What the tree, the status bar, the chat and the commands show of the core's state: view models
 * built from the core's own results (the functions that build them are in coreSession.ts and
 * statusSnapshot.ts). The core's operations themselves are used directly, with their handles.
 */

/** The core's `outcomeOf(state).shown`: `interrupted` runs (crashed, stopped, transient failure) can be resumed. */
export type RunOutcomeStatus = 'completed' | 'failed' | 'waiting_on_human' | 'interrupted';

export interface PendingApprovalView {
  readonly callId: string;
  readonly tool: string;
  readonly summary: string;
}

/** One run's result (the CLI's `--json` run object, camel-cased). */
export interface RunOutcome {
  readonly runId: string;
  readonly agent: string;
  readonly status: RunOutcomeStatus;
  readonly output: string;
  readonly costUsd: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly pendingApprovals: readonly PendingApprovalView[];
  /** `kind`: the core's typed failure kind (never guessed from the message). */
  readonly error?: { readonly message: string; readonly kind?: FailureKind; readonly cause?: string };
}

export interface AgentView {
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  readonly tools: readonly string[];
}

export interface TaskView {
  readonly name: string;
  readonly description: string;
  readonly steps: readonly { readonly agent: string; readonly prompt: string }[];
}

/** A provider's or tool's breaker as the tree shows it: its fleet stats, named. */
export interface BreakerView extends Omit<ToolStats, 'tool'> {
  readonly name: string;
  /**
   * Providers: requests in the rate limit's one-minute window and the limit; callers waiting for it;
   * tokens in the window and their limit (null: none).
   */
  readonly rateLimit?: { readonly used: number; readonly limit: number; readonly queued?: number; readonly tokensUsed?: number; readonly tokensLimit?: number | null };
}

/** A run as the core's run index lists it (no log is replayed to list runs). */
export interface RunListItem {
  readonly runId: string;
  readonly agent: string;
  readonly status: RunListStatus;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** The prompt's first characters (a task: its name). */
  readonly prompt: string;
  /** Why it stopped (interrupted, failed) or cannot be read (damaged: file:line and what is wrong). */
  readonly error?: string;
}

export interface StatusSnapshot {
  readonly providers: readonly BreakerView[];
  readonly tools: readonly BreakerView[];
  readonly costs: {
    readonly totalUsd: number;
    readonly todayUsd: number;
    readonly budgetUsd: number | null;
    readonly byAgent: Readonly<Record<string, number>>;
    readonly byModel: Readonly<Record<string, number>>;
  };
  readonly runs: readonly RunListItem[];
  /** The config's two files, where each value came from, and the workspace's sensitive values. */
  readonly config?: ConfigStatus;
  /** Whether agents' commands run in the OS sandbox (`--status --json`'s `sandbox`; absent from doubles that do not say). */
  readonly sandbox?: { readonly available: boolean; readonly mode: 'auto' | 'required' | 'off'; readonly kind: 'bubblewrap' | 'seatbelt' | 'none'; readonly reason?: string };
}

/** The sandbox as the Status tree shows it: one line, and the reason when commands are not sandboxed. */
export interface SandboxView {
  readonly state: 'sandboxed' | 'unsandboxed' | 'refused';
  readonly label: string;
  readonly description: string;
  readonly tooltip: string;
}

export interface HealthEntry {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly latencyMs?: number;
}

/** The config could not be loaded: the file and each issue with its line (for the Problems panel). */
export interface ConfigProblem {
  readonly file: string;
  readonly message: string;
  readonly issues: readonly { readonly path: string; readonly line?: number; readonly message: string }[];
}

/**
 * The gate's verdict on a write the user proposed (Apply on a code block). `ask`: show the card with
 * this path, diff and reason; `refused`: a hard rule (sandbox, .breakwaterignore, Restricted Mode)
 * or the file itself (a folder, a binary file) says no, and there is nothing to approve.
 */
export type ProposedWrite =
  | {
      readonly kind: 'ask';
      readonly callId: string;
      readonly reason: string;
      /** A protected path: no blanket approval covers it. */
      readonly everyTime: boolean;
      /** The engine's resolved real path. */
      readonly path: string;
      readonly relativePath: string;
      readonly diff: string;
      readonly currentContent: string | null;
      readonly proposedContent: string;
    }
  | { readonly kind: 'refused'; readonly reason: string };
