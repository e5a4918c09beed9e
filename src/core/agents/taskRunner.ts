import type { RunLogWriter } from '../runs/runLog';
import { isRunLockedError, isRunLogConflictError, isRunLogCorruptError, WrongRunKindError } from '../runs/runLogErrors';
import { phaseOf, type Failure } from '../runs/runPhase';
import type { RunState } from '../runs/runState';
import { foldTask, isTaskTerminal, nextStep, type TaskState, type TaskStepState } from '../runs/taskFold';
import { AgentRunner, errorMessage } from './agentRunner';
import { recorderFor, type Recorder } from './recorder';
import { unavailableMarker, type CascadeGuard } from './cascadeGuard';
import { UnknownTaskError, type AgentOutcome, type TaskResult } from './outcomes';
import type { AgentRuntime } from './runtime';

/** How one step's run ended, as far as the task is concerned. */
type StepEnd =
  | { readonly kind: 'completed'; readonly output: string }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'cancelled'; readonly reason: string }
  /** Stopped resumably (a transient failure): the task stops too, and a resume continues this step. */
  | { readonly kind: 'interrupted'; readonly failure: Failure }
  | { readonly kind: 'waiting'; readonly reason: string };

/**
 * Tasks as durable runs (a task's steps on the run log). A task run has its own append-only log:
 * `task_started` (with the steps as configured then), then per step `task_step_started` — recorded
 * BEFORE the step's run starts, with that run's id — and `task_step_finished` with its output or
 * CascadeGuard marker. The next step is always decided from `foldTask(log)`, so the same code starts a
 * task, continues it after an approval, and resumes it after a crash in any process: a finished step
 * is never run again, and a started step's run is resumed, never restarted.
 */
export class TaskRunner {
  constructor(
    private readonly rt: AgentRuntime,
    private readonly runner: AgentRunner,
    /** Shared with the rest of the process: a failed step quarantines its agent for everyone. */
    private readonly guard: CascadeGuard,
  ) {}

  /** Starts the configured task `name` and drives it until it completes, fails, is cancelled or a step waits on a human. */
  async start(name: string, extraPrompt: string | undefined, signal: AbortSignal): Promise<TaskResult> {
    const task = this.rt.config().tasks[name];
    if (!task) throw new UnknownTaskError(name, Object.keys(this.rt.config().tasks));
    const taskRunId = this.rt.store.newRunId();
    const writer = this.rt.store.openWriter(taskRunId);
    try {
      const record = recorderFor(taskRunId, writer, this.rt.onRunEvent);
      record('task_started', {
        task_run_id: taskRunId,
        task: name,
        ...(extraPrompt ? { prompt: extraPrompt } : {}),
        steps: task.steps.map((s) => ({ agent: s.agent, prompt: s.prompt })),
        config_hash: this.rt.configHash(),
      });
      await this.drive(writer, record, signal);
    } finally {
      await writer.close();
    }
    return this.result(taskRunId);
  }

  /**
   * Continues a task from its first unfinished step (after a pause, a crash, a cancel or a transient failure). `before` runs once the task's lock is held and
   * before anything is driven: the place to record a decision in the paused step (approve/deny).
   */
  async resume(taskRunId: string, signal: AbortSignal, before?: (state: TaskState) => Promise<unknown>): Promise<TaskResult> {
    const writer = this.rt.store.openWriter(taskRunId);
    try {
      if (writer.all[0]?.type !== 'task_started') throw new WrongRunKindError(taskRunId, 'run');
      if (writer.repairedTail) {
        this.rt.onWarning?.(taskRunId, `${writer.file}: line ${writer.repairedTail.line} was torn by a crash mid-write (${writer.repairedTail.bytes} bytes); it was cut off and the task continues from the last complete event`);
      }
      const state = foldTask(writer.all);
      await before?.(state);
      if (!isTaskTerminal(state)) {
        if (state.configHash !== this.rt.configHash()) {
          this.rt.onWarning?.(taskRunId, `the agents file changed since task run ${taskRunId} started; its steps stay as they were, their agents use the current config`);
        }
        const record = recorderFor(taskRunId, writer, this.rt.onRunEvent);
        record('task_resumed', { pid: process.pid });
        await this.drive(writer, record, signal);
      }
    } finally {
      await writer.close();
    }
    return this.result(taskRunId);
  }

  /** The task as its log (and its steps' logs) say now; no lock, nothing driven. */
  result(taskRunId: string): TaskResult {
    const t = this.rt.store.taskState(taskRunId);
    const steps = t.steps.filter((s) => s.status !== 'pending').map((s) => this.outcomeOf(s));
    return { task: t.task, taskRunId, steps, ...phaseOf(t) };
  }

  /** The run id a task's step gets: derived from the task run's, so a resume finds the same run. */
  stepRunId(taskRunId: string, index: number): string {
    return this.rt.store.childRunId(taskRunId, `step${index + 1}`);
  }

  private async drive(writer: RunLogWriter, record: Recorder, signal: AbortSignal): Promise<void> {
    for (;;) {
      const state = foldTask(writer.all);
      if (state.status !== 'running') return;
      if (signal.aborted) {
        record('task_cancelled', { reason: reasonOf(signal) });
        continue;
      }
      const step = nextStep(state);
      if (!step) {
        const failed = state.steps.filter((s) => s.status === 'failed');
        if (failed.length === 0) record('task_completed', { steps: state.steps.length });
        else record('task_failed', { error: failed.map((s) => `step ${s.index + 1} (${s.agent}) failed: ${s.error ?? 'unknown error'}`).join('; '), failed_steps: failed.map((s) => s.index) });
        continue;
      }
      const runId = step.runId ?? this.stepRunId(state.taskRunId, step.index);
      // On disk before the run exists: a crash from here on resumes this run id instead of starting another.
      if (step.status === 'pending') record('task_step_started', { index: step.index, run_id: runId, agent: step.agent });
      await record.durable();
      const end = await this.runStep(state, step, runId, signal);
      const base = { index: step.index, run_id: runId, agent: step.agent };
      switch (end.kind) {
        case 'completed':
          this.guard.release(step.agent);
          record('task_step_finished', { ...base, status: 'completed', output: end.output });
          break;
        case 'failed':
          this.guard.quarantine(step.agent, end.error);
          // Its partial output is never passed on: later steps get the marker.
          record('task_step_finished', { ...base, status: 'failed', error: end.error, marker: unavailableMarker(step.agent, end.error) });
          break;
        case 'cancelled':
          // The step is not finished: a resume of the task continues its run.
          record('task_cancelled', { reason: `step ${step.index + 1} (${step.agent}) was cancelled: ${end.reason}` });
          break;
        case 'interrupted':
          record('task_interrupted', { index: step.index, run_id: runId, reason: `step ${step.index + 1} (${step.agent}) stopped: ${end.failure.message}`, kind: end.failure.kind });
          break;
        case 'waiting':
          record('task_paused', { index: step.index, run_id: runId, reason: end.reason });
          return;
      }
    }
  }

  /** Starts the step's run, or resumes it when its log already has events (never a second run for one step). */
  private async runStep(state: TaskState, step: TaskStepState, runId: string, signal: AbortSignal): Promise<StepEnd> {
    let run: RunState;
    try {
      run = this.hasEvents(runId)
        ? await this.runner.resume(runId, signal)
        : await this.runner.start({ agent: step.agent, prompt: step.prompt, runId, task: state.task, taskRunId: state.taskRunId, ...this.contextFor(state, step.index) }, signal);
    } catch (e) {
      // Another process is driving this step, or its log cannot be trusted: the task cannot go on now,
      // and the step has not failed. Leave the task as it is for a later resume.
      if (isRunLockedError(e) || isRunLogCorruptError(e) || isRunLogConflictError(e)) throw e;
      return { kind: 'failed', error: errorMessage(e) };
    }
    switch (run.status) {
      case 'completed':
        return { kind: 'completed', output: run.output };
      case 'failed':
        return { kind: 'failed', error: run.error ?? 'failed' };
      case 'interrupted':
        if (run.interruption.kind === 'cancelled') return { kind: 'cancelled', reason: run.interruption.reason };
        return { kind: 'interrupted', failure: run.interruption.kind === 'failure' ? run.interruption.failure : { kind: 'internal', message: run.error } };
      case 'waiting_on_human':
        return { kind: 'waiting', reason: `step ${step.index + 1} (${step.agent}, run ${runId}) waits on a human: ${run.pendingApprovals.map((p) => p.summary).join('; ') || 'a delegate run needs approval'}` };
      case 'running':
        return { kind: 'interrupted', failure: { kind: 'internal', message: `step ${step.index + 1} (${step.agent}, run ${runId}) stopped before it finished; resume the task` } };
    }
  }

  /**
   * Earlier outputs as context (`run_with_context`), rebuilt from the log so a resumed task gives a
   * step what it would have got without the interruption: a failed step's recorded marker, and a
   * completed step's output unless its agent's latest step failed within CascadeGuard's TTL.
   */
  private contextFor(state: TaskState, index: number): { context?: string } {
    const earlier = state.steps.slice(0, index);
    if (earlier.length === 0) return {};
    const guard = this.guard.fork();
    for (const s of earlier) {
      if (s.status === 'completed') guard.release(s.agent);
      else if (s.status === 'failed') guard.quarantine(s.agent, s.error ?? 'failed', s.finishedAt);
    }
    const text = (s: TaskStepState) => (s.status === 'completed' ? guard.view(s.agent, s.output ?? '') : (s.marker ?? unavailableMarker(s.agent, s.error ?? s.status)));
    return { context: earlier.map((s) => `## Output from ${s.agent}\n\n${text(s)}`).join('\n\n') };
  }

  private outcomeOf(step: TaskStepState): AgentOutcome {
    if (step.runId !== undefined && this.hasEvents(step.runId)) return { kind: 'run', state: this.rt.store.state(step.runId) };
    return { kind: 'error', agent: step.agent, error: step.error ?? 'the step has not started its run yet; resume the task' };
  }

  /** A run's log exists only with its first event in it (it is created that way). */
  private hasEvents(runId: string): boolean {
    return this.rt.store.exists(runId);
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'cancelled';
}
