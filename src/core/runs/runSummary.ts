import type { RunEvent } from './events';
import { nextPhase, RUNNING, withLiveness, type RunPhase, type RunStatus } from './runPhase';

/** The `agent` a task run is listed under (`--runs`), so scripts can tell it from an agent's run. */
export const taskAgentLabel = (task: string): string => `task:${task}`;

/** Characters of the prompt kept as a run's title. */
const TITLE_CHARS = 200;

/**
 * What the run index keeps per log: a small fold of its events (the same phase rules as `fold` and
 * `foldTask`, via `nextPhase`), updated event by event and stored as JSON.
 */
export interface SummaryAcc {
  readonly kind: 'run' | 'task';
  readonly runId: string;
  readonly agent: string;
  readonly title: string;
  readonly startedAt: number;
  updatedAt: number;
  lastSeq: number;
  costUsd: number;
  /** Call ids waiting for approval (agent runs). */
  pending: string[];
  phase: RunPhase;
  readonly parentRunId?: string;
  readonly taskRunId?: string;
  readonly task?: string;
  /** Task runs: the step it waits on or is at. */
  step?: { readonly index: number; readonly runId: string };
}

/** Folds `events` into `acc` (undefined for a log's first event). Throws for a log that does not begin with a start. */
export function summarize(acc: SummaryAcc | undefined, events: readonly RunEvent[]): SummaryAcc {
  let a = acc;
  for (const e of events) {
    if (a === undefined) {
      a = start(e);
      continue;
    }
    a.phase = nextPhase(a.phase, e);
    a.updatedAt = e.time;
    a.lastSeq = e.seq;
    switch (e.type) {
      case 'llm_call_completed':
        a.costUsd += e.payload.cost_usd;
        break;
      case 'tool_call_completed':
        a.costUsd += e.payload.cost_usd ?? 0;
        break;
      case 'approval_requested':
        if (!a.pending.includes(e.payload.call_id)) a.pending.push(e.payload.call_id);
        break;
      case 'approval_granted':
      case 'approval_denied':
      case 'tool_call_failed':
      case 'tool_call_skipped':
        a.pending = a.pending.filter((id) => id !== e.payload.call_id);
        break;
      case 'task_step_started':
      case 'task_paused':
      case 'task_interrupted':
        a.step = { index: e.payload.index, runId: e.payload.run_id };
        break;
      default:
        break;
    }
  }
  if (a === undefined) throw new Error('the log has no events');
  return a;
}

function start(e: RunEvent): SummaryAcc {
  const base = { startedAt: e.time, updatedAt: e.time, lastSeq: e.seq, costUsd: 0, pending: [], phase: RUNNING };
  if (e.type === 'run_started') {
    const p = e.payload;
    return {
      ...base,
      kind: 'run',
      runId: p.run_id,
      agent: p.agent,
      title: p.prompt.slice(0, TITLE_CHARS),
      ...(p.parent_run_id === undefined ? {} : { parentRunId: p.parent_run_id }),
      ...(p.task_run_id === undefined ? {} : { taskRunId: p.task_run_id }),
      ...(p.task === undefined ? {} : { task: p.task }),
    };
  }
  if (e.type === 'task_started') {
    const p = e.payload;
    return { ...base, kind: 'task', runId: p.task_run_id, agent: taskAgentLabel(p.task), title: `Task ${p.task}${p.prompt ? `: ${p.prompt}` : ''}`.slice(0, TITLE_CHARS), task: p.task };
  }
  throw new Error(`a run log must begin with run_started or task_started, not ${e.type}`);
}

/** A log the index could not read to its end: where, and why. */
export interface RunDamage {
  readonly file: string;
  /** 1-based line of the first bad line. */
  readonly line: number;
  readonly detail: string;
}

/** One row of `--runs`: a run (or task run) as the index knows it, without replaying its log. */
export interface RunSummaryBase {
  readonly runId: string;
  /** `task` for a task run (its `agent` is `task:<name>`), `run` for an agent run. */
  readonly kind: 'run' | 'task';
  readonly agent: string;
  /** The prompt's first characters (a task: its name and extra prompt). */
  readonly title: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  /** Dollars spent by the run (a task: by its steps). */
  readonly costUsd: number;
  /** Calls waiting for approval (a task: in the step it waits on). */
  readonly pendingApprovals: number;
  /** Events in the log (its valid part, for a damaged one). */
  readonly events: number;
  readonly parentRunId?: string;
  /** The task run a step's run belongs to. */
  readonly taskRunId?: string;
}

/**
 * `RunStatus` plus `damaged`: a log with an invalid line is listed (never dropped) with the
 * file:line of the damage and the status its valid part had.
 */
export type RunSummary = RunSummaryBase & (RunPhase | { readonly status: 'damaged'; readonly damage: RunDamage; readonly error: string; readonly before?: RunStatus });
export type RunListStatus = RunSummary['status'];

/** A row of the index as a summary: `live` says whether a process holds the run's lock. */
export function toSummary(acc: SummaryAcc, live: boolean): RunSummary {
  // Plain assignments, no spreads: a listing makes thousands of these, mostly before the JIT warms up.
  const row: Record<string, unknown> = {
    runId: acc.runId,
    kind: acc.kind,
    agent: acc.agent,
    title: acc.title,
    startedAt: acc.startedAt,
    updatedAt: acc.updatedAt,
    costUsd: acc.costUsd,
    pendingApprovals: acc.pending.length,
    events: acc.lastSeq + 1,
  };
  if (acc.parentRunId !== undefined) row.parentRunId = acc.parentRunId;
  if (acc.taskRunId !== undefined) row.taskRunId = acc.taskRunId;
  const phase = withLiveness(acc.phase, live);
  row.status = phase.status;
  if (phase.status === 'interrupted') {
    row.interruption = phase.interruption;
    row.error = phase.error;
  } else if (phase.status === 'failed') {
    row.failure = phase.failure;
    row.error = phase.error;
  }
  return row as unknown as RunSummary;
}
