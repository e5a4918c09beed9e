import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { StoreLayout } from '../store/storeLayout';
import { fold } from './fold';
import { replayRunLog, RunLogWriter, type Replay, type RunLogWriterOptions } from './runLog';
import type { RunState, RunStatus } from './runState';
import { foldTask, type TaskState } from './taskFold';
import { WrongRunKindError } from './runLogErrors';

export interface RunSummary {
  readonly runId: string;
  readonly agent: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly parentRunId?: string;
  /** `task` for a task run (its `agent` is `task:<name>`); absent or `run` for an agent run. */
  readonly kind?: 'run' | 'task';
  /** The task run a step's run belongs to. */
  readonly taskRunId?: string;
}

/** The `agent` a task run is listed under (`--runs`), so scripts can tell it from an agent's run. */
export const taskAgentLabel = (task: string): string => `task:${task}`;

const RUN_ID = /^r-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}(\.[A-Za-z0-9_-]+)*$/;

/** Where runs live: one JSONL log per run under `StoreLayout.runLog`. */
export class RunStore {
  constructor(
    readonly layout: StoreLayout,
    private readonly options: RunLogWriterOptions & { readonly clock?: () => number } = {},
  ) {}

  /** A new id: sortable by start time, unique across processes (`r-YYYYMMDD-HHMMSS-xxxxxx`). */
  newRunId(): string {
    const d = new Date((this.options.clock ?? Date.now)());
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `r-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString('hex')}`;
  }

  /** A delegate's child run: `<parent>.<callId-derived suffix>`, so a resume finds the same child again. */
  childRunId(parentRunId: string, callId: string): string {
    return `${parentRunId}.${callId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}`;
  }

  isValidRunId(runId: string): boolean {
    return RUN_ID.test(runId);
  }

  exists(runId: string): boolean {
    return this.isValidRunId(runId) && fs.existsSync(this.layout.runLog(runId));
  }

  openWriter(runId: string): RunLogWriter {
    this.assertId(runId);
    return RunLogWriter.open(this.layout.runLog(runId), runId, this.options);
  }

  replay(runId: string): Replay {
    this.assertId(runId);
    return replayRunLog(this.layout.runLog(runId));
  }

  /** An agent run's state; a task run's id throws `WrongRunKindError` (use `taskState`). */
  state(runId: string): RunState {
    const { events } = this.replay(runId);
    if (events[0]?.type === 'task_started') throw new WrongRunKindError(runId, 'task');
    return fold(events);
  }

  /** A task run's state; an agent run's id throws `WrongRunKindError` (use `state`). */
  taskState(runId: string): TaskState {
    const { events } = this.replay(runId);
    if (events[0]?.type === 'run_started') throw new WrongRunKindError(runId, 'run');
    return foldTask(events);
  }

  /** True when `runId` names an existing task run (its log begins with `task_started`). */
  isTaskRun(runId: string): boolean {
    return this.exists(runId) && this.replay(runId).events[0]?.type === 'task_started';
  }

  /** Every run in the store, newest first. Unreadable logs are skipped here (opening one reports why). */
  list(): RunSummary[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.layout.root);
    } catch {
      return [];
    }
    const out: RunSummary[] = [];
    for (const name of names) {
      if (!name.endsWith('.jsonl')) continue;
      const runId = name.slice(0, -'.jsonl'.length);
      if (!this.isValidRunId(runId)) continue;
      try {
        const { events } = this.replay(runId);
        if (events[0]?.type === 'task_started') {
          const t = foldTask(events);
          out.push({ runId, agent: taskAgentLabel(t.task), status: t.status, startedAt: t.startedAt, updatedAt: t.updatedAt, kind: 'task' });
          continue;
        }
        const s = fold(events);
        out.push({ runId, agent: s.agent, status: s.status, startedAt: s.startedAt, updatedAt: s.updatedAt, ...(s.parentRunId ? { parentRunId: s.parentRunId } : {}), kind: 'run', ...(s.taskRunId ? { taskRunId: s.taskRunId } : {}) });
      } catch {
        continue;
      }
    }
    return out.sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : -1));
  }

  private assertId(runId: string): void {
    if (!this.isValidRunId(runId)) throw new Error(`"${runId}" is not a run id (expected r-YYYYMMDD-HHMMSS-xxxxxx); list runs with --runs`);
  }
}
