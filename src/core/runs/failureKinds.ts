import { PROVIDER_ERROR_KINDS } from '../common/providerErrorKinds';

/**
 * Why a run (or task) stopped, as recorded in `run_failed.kind`. Provider kinds come straight from the
 * typed `ProviderError`; the rest from the core's own typed errors (never from a message).
 */
export const FAILURE_KINDS = [
  ...PROVIDER_ERROR_KINDS,
  'breaker_open',
  'budget',
  'config',
  'max_turns',
  'loop_guard',
  'denied',
  'internal',
  'unknown',
  /** A task whose steps failed (derived, never recorded in a run's log). */
  'steps_failed',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];
