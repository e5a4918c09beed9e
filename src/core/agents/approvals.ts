import type { PendingApproval } from '../runs/runState';
import type { ApprovalRequest } from '../tools/types';

/**
 * What a host shows the user for one call that needs approval: the run's pending approval (`kind`:
 * `ask` may be covered by `--yes` or "always", `ask_every_time` only by an explicit yes for this call;
 * `mayHaveRun`: it started before an interruption) plus where it comes from and what to show.
 */
export interface ApprovalPrompt extends PendingApproval {
  readonly runId: string;
  readonly agent: string;
  /** The diff, command or URL to show; absent for a re-asked call after a crash. */
  readonly request?: ApprovalRequest;
}

export type ApprovalAnswer =
  /** `always`: also allow this kind of call for the rest of the session (only for `ask` with a grant key). */
  | { readonly kind: 'grant'; readonly by: 'user' | 'yes_flag'; readonly always?: boolean }
  | { readonly kind: 'deny'; readonly reason?: string }
  /** Nobody can answer now: the run pauses (status waiting_on_human) until approve/deny. */
  | { readonly kind: 'defer' };

/** Asked for each pending call; a host without a human (CI, no TTY) answers `defer`. */
export type Approver = (prompt: ApprovalPrompt, signal: AbortSignal) => Promise<ApprovalAnswer>;

/** `--yes` approves only what the policy would ASK about; never ask-every-time, never a possibly-repeated call. */
export function yesFlagApprover(fallback?: Approver): Approver {
  return async (prompt, signal) => {
    if (prompt.kind === 'ask' && !prompt.mayHaveRun) return { kind: 'grant', by: 'yes_flag' };
    return fallback ? fallback(prompt, signal) : { kind: 'defer' };
  };
}

export const deferringApprover: Approver = async () => ({ kind: 'defer' });
