import { isFinished } from '../runs/fold';
import type { RunState } from '../runs/runState';
import type { RunStore } from '../runs/runStore';
import { nextStep } from '../runs/taskFold';
import type { AgentRunner } from './agentRunner';
import { approvableWithoutCallId, NothingPendingError, pendingIn, type PendingIn } from './pendingApprovals';
import type { TaskRunner } from './taskRunner';

/**
 * Resume, approve and deny when the run given is a task run or one of its steps (or a delegate under
 * a step): the decision is recorded in the run holding each call while the TASK's lock is held, then
 * the task drives on — resuming that step, which resumes its delegate children, and then the steps
 * after it. Nothing already finished runs again.
 */
export class TaskControl {
  constructor(
    private readonly store: RunStore,
    private readonly runner: AgentRunner,
    private readonly tasks: TaskRunner,
    /** Told when an approval without a call id leaves ask-every-time calls pending. */
    private readonly onWarning?: (runId: string, message: string) => void,
  ) {}

  /** The task run `runId` belongs to: itself, its task's for a step run, its root's for a delegate's child; else undefined. */
  taskRunOf(runId: string): string | undefined {
    // From the run index: no log is replayed to find out.
    const s = this.store.summary(runId);
    if (s === undefined) return undefined;
    if (s.kind === 'task') return runId;
    const taskRun = s.taskRunId ?? (s.parentRunId ? this.taskRunOf(s.parentRunId) : undefined);
    return taskRun !== undefined && this.store.exists(taskRun) ? taskRun : undefined;
  }

  /** Pending approvals of a run, or of the step a task run waits on. */
  pending(runId: string): PendingIn[] {
    if (!this.store.isTaskRun(runId)) return pendingIn(this.store, runId);
    const stepRun = this.currentStepRun(runId);
    return stepRun !== undefined && this.store.exists(stepRun) ? pendingIn(this.store, stepRun) : [];
  }

  /** Continues the task; returns `runId`'s state, or for the task run itself the last step that has a run. */
  async resume(taskRunId: string, runId: string, signal: AbortSignal): Promise<RunState> {
    const result = await this.tasks.resume(taskRunId, signal);
    if (runId !== taskRunId) return this.store.state(runId);
    const last = [...result.steps].reverse().find((s) => s.kind === 'run');
    if (last?.kind !== 'run') throw new Error(`task run ${taskRunId} has no step run to show (status ${result.status}); read it with taskResult()`);
    return last.state;
  }

  async approve(taskRunId: string, runId: string, callId: string | undefined, signal: AbortSignal): Promise<RunState> {
    let chosen: ReadonlySet<string> | undefined;
    if (callId === undefined) {
      // Without a call id, ask-every-time calls are left pending; with none other, nothing moves.
      const found = this.targets(runId, undefined);
      const { approve, note } = approvableWithoutCallId(runId, found.targets);
      if (note !== undefined) this.onWarning?.(runId, note);
      if (approve.length === 0) return this.store.state(found.stepRun);
      chosen = new Set(approve.map((t) => t.approval.callId));
    }
    return this.decide(taskRunId, runId, callId, signal, async (_stepRun, found) => {
      const targets = chosen === undefined ? found : found.filter((t) => chosen.has(t.approval.callId));
      for (const holder of new Set(targets.map((t) => t.runId))) {
        // Decided on the state read under the run's own lock: a call that finished meanwhile is left alone.
        await this.runner.settle(holder, (record, state) => targets.filter((t) => t.runId === holder && isStillPending(state, t.approval.callId)).forEach((t) => record('approval_granted', { call_id: t.approval.callId, by: 'user' })));
      }
    });
  }

  /**
   * A denied call fails its step: a pipeline step whose action was refused has not done its job, and
   * handing its reply on as if it had would mislead the steps after it. They get the marker instead.
   */
  deny(taskRunId: string, runId: string, callId: string | undefined, reason: string | undefined, signal: AbortSignal): Promise<RunState> {
    return this.decide(taskRunId, runId, callId, signal, async (stepRun, targets) => {
      const error = `the user denied ${targets.map((t) => `${t.approval.summary}${reason ? ` (${reason})` : ''}`).join('; ')}`;
      // Delegate children first, the step's own run last: each ends failed, none is left waiting.
      const holders = [...new Set(targets.map((t) => t.runId).filter((id) => id !== stepRun)), stepRun];
      for (const holder of holders) {
        await this.runner.settle(holder, (record, state) => {
          const mine = new Set(targets.filter((t) => t.runId === holder && isStillPending(state, t.approval.callId)).map((t) => t.approval.callId));
          for (const id of mine) record('approval_denied', { call_id: id, by: 'user', ...(reason ? { reason } : {}) });
          for (const c of state.toolCalls) {
            if (!mine.has(c.id) && !isFinished(c)) record('tool_call_skipped', { call_id: c.id, reason: `not run: the step failed because ${error}` });
          }
          record('run_failed', { error, kind: 'denied' });
        });
      }
    });
  }

  private async decide(taskRunId: string, runId: string, callId: string | undefined, signal: AbortSignal, record: (stepRun: string, targets: PendingIn[]) => Promise<void>): Promise<RunState> {
    let stepRun = runId;
    await this.tasks.resume(taskRunId, signal, async () => {
      const found = this.targets(runId, callId);
      stepRun = found.stepRun;
      await record(found.stepRun, found.targets);
    });
    return this.store.state(stepRun);
  }

  private targets(runId: string, callId: string | undefined): { stepRun: string; targets: PendingIn[] } {
    const isTask = this.store.isTaskRun(runId);
    const stepRun = isTask ? this.currentStepRun(runId) : runId;
    const targets = stepRun === undefined || !this.store.exists(stepRun) ? [] : pendingIn(this.store, stepRun).filter((t) => callId === undefined || t.approval.callId === callId);
    if (stepRun === undefined || targets.length === 0) throw new NothingPendingError(runId, callId, isTask ? this.store.taskState(runId).status : this.store.state(runId).status);
    return { stepRun, targets };
  }

  /** The step run a task waits on (or would continue next). */
  private currentStepRun(taskRunId: string): string | undefined {
    const t = this.store.taskState(taskRunId);
    return t.pausedAt?.runId ?? nextStep(t)?.runId;
  }
}

function isStillPending(state: RunState, callId: string): boolean {
  return state.pendingApprovals.some((p) => p.callId === callId);
}
