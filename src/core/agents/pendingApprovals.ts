import type { PendingApproval } from '../runs/runState';
import type { RunStore } from '../runs/runStore';

/** A pending call and the run that holds it (a delegate's child run, or the run itself). */
export interface PendingIn {
  readonly runId: string;
  readonly approval: PendingApproval;
}

/** A run's pending approvals plus those of the delegate runs it is waiting on (depth first). */
export function pendingIn(store: RunStore, runId: string): PendingIn[] {
  const s = store.state(runId);
  const out: PendingIn[] = s.pendingApprovals.map((approval) => ({ runId, approval }));
  for (const c of s.toolCalls) {
    if (c.childRunId && c.started && store.exists(c.childRunId)) out.push(...pendingIn(store, c.childRunId));
  }
  return out;
}

export class NothingPendingError extends Error {
  constructor(
    readonly runId: string,
    readonly callId: string | undefined,
    readonly status: string,
  ) {
    super(callId === undefined ? `run ${runId} has no pending approvals (status: ${status})` : `run ${runId} has no pending call ${callId} (status: ${status}); see its pending_approvals with --resume ${runId} --json`);
    this.name = 'NothingPendingError';
  }
}

export const isNothingPendingError = (e: unknown): e is NothingPendingError => e instanceof NothingPendingError;
