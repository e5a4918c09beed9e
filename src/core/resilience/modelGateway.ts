import type { ProviderKind } from '../config/schema';
import type { ChatRequest, StopReason, ToolCallRequest, Usage } from '../providers/types';

/**
 * The one way the agent layer calls a model. An implementation applies, in order: the budget check
 * (refuse before sending), the endpoint's shared rate limiter, its circuit breaker (one probe when
 * half-open), retry with backoff for transient errors (never after text reached the user), the per-call
 * timeout; then records cost and emits CoreEvents. Fallback strategies are applied above this, by
 * the agent layer, with `resilience/fallback` (they need other agents).
 */
export interface ModelTarget {
  readonly provider: ProviderKind;
  /** Alias or full id; resolved by the gateway. */
  readonly model: string;
}

export interface ModelCallOptions {
  /** For cost attribution and per-agent budgets. */
  readonly agentName: string;
  readonly runId?: string;
  /** Streamed text as it arrives. */
  readonly onText?: (delta: string) => void;
  /**
   * The stream broke after text reached the user and the turn is being redone from scratch:
   * the UI must visibly discard `partialText`.
   */
  readonly onDiscard?: (partialText: string, reason: string) => void;
  readonly signal: AbortSignal;
  /**
   * Agents whose budgets this call also counts against (a delegate's callers, nearest first).
   * Optional; defaults to none.
   */
  readonly chargedTo?: readonly string[];
}

export interface ModelTurn {
  readonly text: string;
  readonly toolCalls: ReadonlyArray<{ readonly call: ToolCallRequest; readonly invalid?: string }>;
  readonly usage: Usage;
  readonly stopReason: StopReason;
  readonly provider: ProviderKind;
  /** The full model id that answered. */
  readonly model: string;
  readonly costUsd: number;
  /** HTTP attempts made for this turn (1 + retries). */
  readonly attempts: number;
}

export interface ModelGateway {
  /**
   * Throws `ProviderError` (typed kinds), a broken-circuit error when the breaker is open (fail fast,
   * with the time to retry), or a budget error when the call would cross a budget.
   */
  call(target: ModelTarget, request: Omit<ChatRequest, 'model' | 'signal'>, options: ModelCallOptions): Promise<ModelTurn>;
}
