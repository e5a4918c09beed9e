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

/**
 * What an approval without a call id may approve: never an ask-every-time call (a protected path, a
 * secret, a command the policy cannot see through, a call that may already have run). Those need the
 * user to approve that very call by its id; they stay pending, and `note` says how.
 */
export function approvableWithoutCallId(runId: string, targets: readonly PendingIn[]): { approve: PendingIn[]; everyTime: PendingIn[]; note?: string } {
  const approve = targets.filter((t) => t.approval.kind === 'ask' && !t.approval.mayHaveRun);
  const everyTime = targets.filter((t) => !approve.includes(t));
  if (everyTime.length === 0) return { approve, everyTime };
  const calls = everyTime.map((t) => `${t.approval.callId} (${t.approval.summary})`).join('; ');
  const how = everyTime.map((t) => `--approve ${runId} --call ${t.approval.callId}`).join(', ');
  const note = `not approved without a call id, because each needs approval every time: ${calls}. The run waits on ${everyTime.length === 1 ? 'it' : 'them'}; approve each by its call id (${how}) or deny it.`;
  return { approve, everyTime, note };
}
