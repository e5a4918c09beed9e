import type { FailureKind, Interruption, RunPhase } from './runPhase';

/**
 * How a run (or task) ended for the caller: the ONE mapping from its state to what the hosts report
 * (the CLI's `--json` status and exit code, the extension's outcome and error card).
 */
export interface Outcome {
  /** The `--json` status (README, "CLI"): an interrupted run is `failed` there, with `resumable: true`. */
  readonly status: 'completed' | 'failed' | 'waiting_on_human';
  /** The same, keeping `interrupted` apart, for hosts that show it (the extension). */
  readonly shown: 'completed' | 'failed' | 'waiting_on_human' | 'interrupted';
  /** `--resume` continues it (interrupted, or paused for a human). */
  readonly resumable: boolean;
  /** Why it stopped (interrupted or failed). */
  readonly error?: string;
  /** The typed kind of the failure behind it, when there is one. */
  readonly failureKind?: FailureKind;
  /** What interrupted it: a crash, a cancel (Ctrl-C, SIGTERM, Stop) or a resumable failure. */
  readonly interruption?: Interruption['kind'];
}

export function outcomeOf(phase: RunPhase): Outcome {
  switch (phase.status) {
    case 'completed':
      return { status: 'completed', shown: 'completed', resumable: false };
    case 'waiting_on_human':
      return { status: 'waiting_on_human', shown: 'waiting_on_human', resumable: true };
    case 'interrupted': {
      const i = phase.interruption;
      return { status: 'failed', shown: 'interrupted', resumable: true, error: phase.error, interruption: i.kind, ...(i.kind === 'failure' ? { failureKind: i.failure.kind } : {}) };
    }
    case 'failed':
      return { status: 'failed', shown: 'failed', resumable: false, error: phase.error, failureKind: phase.failure.kind };
    case 'running':
      // Only seen from outside while another process drives the run: not this caller's result.
      return { status: 'failed', shown: 'failed', resumable: false, error: 'the run is still being driven by another process; wait for it to finish, or stop it and resume' };
  }
}

/** The exit codes (README, "CLI"): 0 completed · 1 failed · 3 waiting_on_human · 130 cancelled (Ctrl-C), resumable. */
export function exitCodeOf(o: Outcome): 0 | 1 | 3 | 130 {
  if (o.status === 'completed') return 0;
  if (o.status === 'waiting_on_human') return 3;
  return o.interruption === 'cancelled' ? 130 : 1;
}
