import type { RunEvent } from './events';
import { isFinal, nextPhase, RUNNING, type RunPhase } from './runPhase';

export type TaskStepStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';

/** One step of a task run as its log says. */
export interface TaskStepState {
  readonly index: number;
  readonly agent: string;
  /** The step's prompt with the task's extra prompt appended. */
  readonly prompt: string;
  /** `pending`: not started. `running`: started (its run may be paused or was cut short by a crash). */
  readonly status: TaskStepStatus;
  /** Set once the step started; the run may not exist yet if a crash came right after. */
  readonly runId?: string;
  readonly output?: string;
  readonly error?: string;
  readonly marker?: string;
  /** Epoch ms of `task_step_finished` (CascadeGuard's quarantine starts there). */
  readonly finishedAt?: number;
}

export interface TaskStateBase {
  readonly taskRunId: string;
  readonly task: string;
  readonly prompt?: string;
  readonly configHash: string;
  readonly steps: readonly TaskStepState[];
  /** The step the task waits on (status waiting_on_human). */
  readonly pausedAt?: { readonly index: number; readonly runId: string; readonly reason: string };
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly lastSeq: number;
}

/** A task run's state: its steps plus its phase, the same union by `status` as an agent run's. */
export type TaskState = TaskStateBase & RunPhase;

/**
 * A task run's state as a pure function of its events, like `fold` for an agent run: no clock, no
 * I/O, no mutation of the input. Throws if the first event is not `task_started`.
 */
export function foldTask(events: readonly RunEvent[]): TaskState {
  const first = events[0];
  if (first?.type !== 'task_started') throw new Error('a task run log must begin with task_started');
  const start = first.payload;
  const steps = start.steps.map((s, index): Mutable<TaskStepState> => ({ index, agent: s.agent, prompt: start.prompt ? `${s.prompt}\n\n${start.prompt}` : s.prompt, status: 'pending' }));
  let phase: RunPhase = RUNNING;
  let pausedAt: TaskState['pausedAt'];
  for (const e of events.slice(1)) {
    phase = nextPhase(phase, e);
    switch (e.type) {
      case 'task_step_started': {
        const step = steps[e.payload.index];
        if (step) Object.assign(step, { status: 'running', runId: e.payload.run_id });
        break;
      }
      case 'task_step_finished': {
        const step = steps[e.payload.index];
        if (step) {
          step.status = e.payload.status;
          step.runId = e.payload.run_id;
          step.finishedAt = e.time;
          if (e.payload.output !== undefined) step.output = e.payload.output;
          if (e.payload.error !== undefined) step.error = e.payload.error;
          if (e.payload.marker !== undefined) step.marker = e.payload.marker;
        }
        break;
      }
      case 'task_paused':
        pausedAt = { index: e.payload.index, runId: e.payload.run_id, reason: e.payload.reason };
        break;
      case 'task_resumed':
        pausedAt = undefined;
        // A step cancelled with the task (logs of older versions finished it as `cancelled`) is continued, not skipped.
        for (const step of steps) if (step.status === 'cancelled') step.status = 'running';
        break;
      default:
        break;
    }
  }
  // The log is not empty: its first event was checked above.
  const last = events.at(-1) ?? first;
  return {
    taskRunId: start.task_run_id,
    task: start.task,
    ...(start.prompt === undefined ? {} : { prompt: start.prompt }),
    configHash: start.config_hash,
    ...phase,
    steps,
    ...(pausedAt ? { pausedAt } : {}),
    startedAt: first.time,
    updatedAt: last.time,
    lastSeq: last.seq,
  };
}

/** A task is over: it will not run another step (an interrupted task is not: a resume continues it). */
export function isTaskTerminal(state: TaskState): boolean {
  return isFinal(state);
}

/** The first step that has not finished (the one a resume continues), or undefined when all have. */
export function nextStep(state: TaskState): TaskStepState | undefined {
  return state.steps.find((s) => s.status === 'pending' || s.status === 'running');
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
