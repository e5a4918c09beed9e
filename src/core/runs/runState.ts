import type { ChatMessage } from '../providers/types';
import type { UsageJson } from './events';
import type { z } from 'zod';
import type { storedPreparedSchema } from './events';
import type { RunPhase } from './runPhase';

export type { RunStatus, RunPhase, Failure, FailureKind, Interruption } from './runPhase';
export type ToolCallStatus = 'ok' | 'error' | 'denied' | 'blocked' | 'pending' | 'skipped';
export type StoredPrepared = z.infer<typeof storedPreparedSchema>;

export interface ToolCallState {
  readonly id: string;
  readonly tool: string;
  readonly args: unknown;
  readonly turn: number;
  status: ToolCallStatus;
  /** Set when the provider said the arguments were invalid. */
  invalid?: string;
  prepared?: StoredPrepared;
  approval: 'none' | 'pending' | 'granted' | 'denied';
  grantedBy?: string;
  /** A `tool_call_started` was recorded (and not yet followed by a completion). */
  started: boolean;
  /** Times it was started (a crash then an approved re-run makes 2). */
  starts: number;
  childRunId?: string;
  output?: string;
  error?: string;
  /** Asked again after a crash because it may already have run. */
  mayHaveRun: boolean;
}

export interface PendingApproval {
  readonly callId: string;
  readonly tool: string;
  readonly summary: string;
  readonly kind: 'ask' | 'ask_every_time';
  readonly reason: string;
  readonly mayHaveRun: boolean;
}

/** An agent run as its log says: what every run has, plus its phase (a union by `status`). */
export interface RunStateBase {
  readonly runId: string;
  readonly agent: string;
  readonly prompt: string;
  readonly context?: string;
  readonly configHash: string;
  readonly parentRunId?: string;
  readonly depth: number;
  readonly chain: readonly string[];
  readonly task?: string;
  /** The task run this run is a step of. */
  readonly taskRunId?: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** The conversation as the model sees it: user prompt, assistant turns, tool results of finished turns. */
  readonly messages: readonly ChatMessage[];
  /** Every tool call in request order. */
  readonly toolCalls: readonly ToolCallState[];
  readonly pendingApprovals: readonly PendingApproval[];
  /** Model turns answered so far. */
  readonly turns: number;
  readonly usage: UsageJson;
  readonly costUsd: number;
  /** The final answer (completed), or the last assistant text so far. */
  readonly output: string;
  readonly lastSeq: number;
}

/**
 * `running` · `waiting_on_human` · `interrupted` (resumable: crashed, cancelled, or a transient
 * failure; `interruption` says which) · `completed` · `failed` (final; `failure.kind` says why).
 * `error` is the human-readable reason of an interrupted or failed run.
 */
export type RunState = RunStateBase & RunPhase;
