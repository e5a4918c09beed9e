import { isConfigError } from '../config/configError';
import { isBudgetExceededError } from '../cost/budget';
import { isProviderError } from '../providers/errors';
import { isCircuitOpenError } from '../resilience/errors';
import { isFallbackUnavailableError } from '../resilience/fallback';
import type { FailureKind } from '../runs/runPhase';

/**
 * The typed kind of a failure, from the error's own class (brand guards), never from its message.
 * A fallback that could not answer keeps the kind of the failure it was covering for: the run is as
 * resumable as that failure is.
 */
export function failureKindOf(e: unknown): FailureKind {
  if (isProviderError(e)) return e.kind;
  if (isCircuitOpenError(e)) return 'breaker_open';
  if (isBudgetExceededError(e)) return 'budget';
  if (isConfigError(e)) return 'config';
  if (isFallbackUnavailableError(e)) return e.cause === undefined ? 'unknown' : failureKindOf(e.cause);
  return 'unknown';
}
