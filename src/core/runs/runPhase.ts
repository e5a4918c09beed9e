import { TRANSIENT_KINDS } from '../providers/errors';
import type { RunEvent } from './events';
import type { FailureKind } from './failureKinds';

export { FAILURE_KINDS, type FailureKind } from './failureKinds';

/**
 * Failures that may go away without changing the conversation: the provider recovers, the breaker
 * closes, the user sets the key, raises the budget or puts the agent back. A run stopped by one is
 * `interrupted`, and `--resume` continues it. Any other failure is final.
 */
const RESUMABLE_FAILURES: ReadonlySet<FailureKind> = new Set<FailureKind>([...TRANSIENT_KINDS, 'aborted', 'breaker_open', 'budget', 'auth', 'config']);

export function isResumableFailure(kind: FailureKind): boolean {
  return RESUMABLE_FAILURES.has(kind);
}

export interface Failure {
  readonly kind: FailureKind;
  readonly message: string;
}

/** What stopped an interrupted run: a process that died mid-run, a cancel (Ctrl-C, SIGTERM, Stop), or a resumable failure. */
export type Interruption =
  | { readonly kind: 'crashed' }
  | { readonly kind: 'cancelled'; readonly reason: string }
  | { readonly kind: 'failure'; readonly failure: Failure };

/**
 * The status part of a run's (or task's) state, a discriminated union. `running` from a log alone means
 * "not stopped in the log"; whether a process is still driving it is for the store to say
 * (`withLiveness`): without one the run is `interrupted` (crashed).
 */
export type RunPhase =
  | { readonly status: 'running'; readonly error?: undefined }
  | { readonly status: 'waiting_on_human'; readonly error?: undefined }
  | { readonly status: 'interrupted'; readonly interruption: Interruption; readonly error: string }
  | { readonly status: 'completed'; readonly error?: undefined }
  | { readonly status: 'failed'; readonly failure: Failure; readonly error: string };

export type RunStatus = RunPhase['status'];

export const RUNNING: RunPhase = { status: 'running' };

/** The run's phase after `e`; events that do not change it return `phase` itself. */
export function nextPhase(phase: RunPhase, e: RunEvent): RunPhase {
  switch (e.type) {
    case 'run_paused':
    case 'task_paused':
      return { status: 'waiting_on_human' };
    case 'run_resumed':
    case 'task_resumed':
      return RUNNING;
    case 'run_completed':
    case 'task_completed':
      return { status: 'completed' };
    case 'run_failed': {
      const failure: Failure = { kind: e.payload.kind ?? 'unknown', message: e.payload.error };
      return isResumableFailure(failure.kind) ? { status: 'interrupted', interruption: { kind: 'failure', failure }, error: failure.message } : { status: 'failed', failure, error: failure.message };
    }
    case 'task_failed':
      return { status: 'failed', failure: { kind: 'steps_failed', message: e.payload.error }, error: e.payload.error };
    case 'task_interrupted': {
      const failure: Failure = { kind: e.payload.kind, message: e.payload.reason };
      return { status: 'interrupted', interruption: { kind: 'failure', failure }, error: e.payload.reason };
    }
    case 'run_cancelled':
    case 'task_cancelled':
      return { status: 'interrupted', interruption: { kind: 'cancelled', reason: e.payload.reason }, error: e.payload.reason };
    default:
      return phase;
  }
}

/** A phase that nothing will ever change again: `--resume` returns it as it is. */
export function isFinal(phase: { readonly status: RunStatus }): boolean {
  return phase.status === 'completed' || phase.status === 'failed';
}

export const CRASHED_MESSAGE = 'the process running it stopped before it finished (a crash, kill -9 or window reload)';

/** `running` with no live writer is a run cut short: interrupted (crashed), resumable. */
export function withLiveness<P extends RunPhase>(phase: P, live: boolean): RunPhase {
  return phase.status === 'running' && !live ? { status: 'interrupted', interruption: { kind: 'crashed' }, error: CRASHED_MESSAGE } : phase;
}

/** Only the phase fields of a state (status, and the interruption or failure with its message). */
export function phaseOf(p: RunPhase): RunPhase {
  switch (p.status) {
    case 'interrupted':
      return { status: p.status, interruption: p.interruption, error: p.error };
    case 'failed':
      return { status: p.status, failure: p.failure, error: p.error };
    default:
      return { status: p.status };
  }
}
