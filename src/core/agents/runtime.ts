import type { BreakwaterConfig } from '../config/schema';
import type { ChatMessage } from '../providers/types';
import type { ModelGateway } from '../resilience/modelGateway';
import type { RunEvent } from '../runs/events';
import type { RunStore } from '../runs/runStore';
import type { ToolEngine } from '../tools/types';
import type { Approver } from './approvals';
import type { WorkspaceFacts } from './systemPrompt';

/** A model call failed and the agent has a `fallback` configured: produce an answer another way. */
export interface FallbackRequest {
  readonly agentName: string;
  readonly runId: string;
  readonly prompt: string;
  readonly messages: readonly ChatMessage[];
  readonly error: unknown;
  readonly signal: AbortSignal;
}
export interface FallbackAnswer {
  readonly text: string;
  readonly strategy: string;
  readonly detail: string;
  readonly costUsd?: number;
}
/** Returns undefined when no fallback applies (the run then fails with the original error). */
export type FallbackRunner = (request: FallbackRequest) => Promise<FallbackAnswer | undefined>;

/** Everything the agent layer needs; `createBreakwater` builds it, tests pass fakes. */
export interface AgentRuntime {
  /** The config in force now (reloads replace it between runs). */
  config(): BreakwaterConfig;
  configHash(): string;
  readonly gateway: ModelGateway;
  readonly tools: ToolEngine;
  readonly store: RunStore;
  readonly facts: WorkspaceFacts;
  readonly approver?: Approver;
  readonly fallback?: FallbackRunner;
  /** Called for every event appended to any run, as it is recorded (queued for the log; on disk before any side effect that follows it). */
  readonly onRunEvent?: (runId: string, event: RunEvent) => void;
  /** Something the user should know that is not an event: a torn log line cut off on resume. */
  readonly onWarning?: (runId: string, message: string) => void;
  /** Streamed model text, for progress. */
  readonly onText?: (runId: string, agent: string, delta: string) => void;
  /**
   * The stream broke after some text had streamed and the turn is being asked again from scratch:
   * whatever `onText` delivered for this turn must be visibly discarded.
   */
  readonly onDiscard?: (runId: string, agent: string, partialText: string, reason: string) => void;
  /** How deep `delegate` may nest below the root run; defaults to 3. */
  readonly maxDelegateDepth?: number;
}
