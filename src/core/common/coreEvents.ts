import type { ProviderErrorKind } from './providerErrorKinds';

/**
 * Things that happen outside a single run's log and that the tree view, the status output and the
 * audit ledger all follow. Subscribe with `bus.event(listener)`; every variant is plain JSON.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export type CoreEvent =
  | {
      readonly type: 'breaker_transition';
      readonly scope: 'provider' | 'tool';
      /** `anthropic@http://…` for providers, the tool name for tools. */
      readonly name: string;
      readonly from: BreakerState;
      readonly to: BreakerState;
      readonly at: number;
      readonly reason?: string;
      /** Epoch ms when an open breaker lets a probe through. */
      readonly retryAt?: number;
      /** Another process caused it (seen in the shared state); the process that caused it audits it. */
      readonly observed?: boolean;
    }
  | {
      readonly type: 'provider_failure';
      readonly name: string;
      readonly kind: ProviderErrorKind;
      readonly message: string;
      /** The cause's stack, kept for the audit ledger. */
      readonly cause?: string;
      readonly attempt: number;
      readonly willRetry: boolean;
      readonly retryInMs?: number;
      readonly at: number;
    }
  | { readonly type: 'throttled'; readonly name: string; readonly waitMs: number; readonly at: number }
  | { readonly type: 'fallback_used'; readonly agent: string; readonly strategy: string; readonly detail: string; readonly at: number }
  | {
      readonly type: 'budget_warning' | 'budget_refused';
      readonly scope: 'workspace' | 'agent';
      readonly name?: string;
      readonly spentUsd: number;
      readonly budgetUsd: number;
      readonly at: number;
    }
  | { readonly type: 'cost_recorded'; readonly runId?: string; readonly agent: string; readonly model: string; readonly usd: number; readonly at: number }
  | { readonly type: 'tool_stats_changed'; readonly tool: string; readonly at: number }
  /** Another process changed the shared limits, breakers, stats or budget (views refresh; nothing to audit). */
  | { readonly type: 'shared_state_changed'; readonly at: number }
  | { readonly type: 'run_changed'; readonly runId: string; readonly status: string; readonly at: number };
