import type { BreakerState } from '../common/coreEvents';
import type { PolicyRegistry } from './policyRegistry';

/**
 * One provider endpoint as `--status --json` prints it (README, "CLI") and the tree view shows it: the figures
 * of every process sharing the state (the store folder, or Redis), not only this one's.
 */
export interface ProviderBreakerStatus {
  readonly state: BreakerState;
  /** Consecutive transient failures counted toward opening (the threshold while open). */
  readonly consecutive_failures: number;
  readonly failures: number;
  readonly successes: number;
  readonly calls: number;
  readonly avg_ms: number;
  /** ISO time when an open breaker lets a probe through. */
  readonly retry_at?: string;
  readonly reason?: string;
  /** Requests started in the last minute / the limit, and callers waiting (in every process); the window in ms. */
  readonly rate_limit: { readonly used: number; readonly limit: number; readonly tokens_used: number; readonly tokens_limit: number | null; readonly queued: number; readonly window_ms: number };
}

/** Breakers per provider endpoint, keyed `kind@endpoint`. */
export function providerBreakerStatus(registry: PolicyRegistry): Record<string, ProviderBreakerStatus> {
  const out: Record<string, ProviderBreakerStatus> = {};
  for (const s of registry.stats()) {
    out[s.name] = {
      state: s.state,
      consecutive_failures: s.consecutiveFailures,
      failures: s.failures,
      successes: s.successes,
      calls: s.calls,
      avg_ms: s.avg_ms,
      retry_at: s.retryAt === undefined ? undefined : new Date(s.retryAt).toISOString(),
      reason: s.reason,
      rate_limit: { used: s.rateLimit.requestsInWindow, limit: s.rateLimit.requestLimit, tokens_used: s.rateLimit.tokensInWindow, tokens_limit: s.rateLimit.tokenLimit, queued: s.rateLimit.queued, window_ms: s.rateLimit.windowMs },
    };
  }
  return out;
}
