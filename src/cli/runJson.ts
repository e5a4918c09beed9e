import { outcomeOf, type AgentOutcome, type Outcome, type PendingApproval, type RunState, type TaskResult } from '../core/breakwater';
import { visibleText } from '../core/common/visibleText';

/** The documented `--json` run object (README, "CLI"). Field names and order are part of the interface. */
export interface RunJson {
  run_id: string | null;
  agent: string;
  status: 'completed' | 'failed' | 'waiting_on_human';
  output: string;
  usage: { input_tokens: number; output_tokens: number; cache_read_tokens: number; cache_creation_tokens: number };
  cost_usd: number;
  tool_calls: { id: string; tool: string; status: 'ok' | 'error' | 'denied' | 'blocked' | 'pending' | 'skipped'; error?: string }[];
  pending_approvals: { call_id: string; tool: string; summary: string }[];
  error?: string;
  /** Added fields. `resumable: true` on an interrupted run (`--resume` continues it). */
  resumable?: true;
  /** The typed kind of the failure that stopped it. */
  failure_kind?: string;
  /** What interrupted it: crashed, cancelled (Ctrl-C, SIGTERM) or failure (transient). */
  interruption?: string;
}

/** `pending`: the run's own pending approvals and those of delegate runs it waits on. */
export function runJson(state: RunState, pending: readonly PendingApproval[] = state.pendingApprovals): RunJson {
  const o = outcomeOf(state);
  const out: RunJson = {
    run_id: state.runId,
    agent: state.agent,
    status: o.status,
    output: state.output,
    usage: { ...state.usage },
    cost_usd: Math.round(state.costUsd * 1e6) / 1e6,
    tool_calls: state.toolCalls.map((c) => ({ id: c.id, tool: c.tool, status: c.status, ...(c.error !== undefined && c.status !== 'ok' ? { error: c.error } : {}) })),
    // Whole and escaped: a summary never hides part of the call (runs logged before escaping existed too).
    pending_approvals: pending.map((p) => ({ call_id: p.callId, tool: p.tool, summary: visibleText(p.summary) })),
  };
  return withStop(out, o);
}

function withStop(out: RunJson, o: Outcome): RunJson {
  if (o.status !== 'failed') return out;
  out.error = o.error ?? 'failed';
  if (o.resumable) out.resumable = true;
  if (o.failureKind !== undefined) out.failure_kind = o.failureKind;
  if (o.interruption !== undefined) out.interruption = o.interruption;
  return out;
}

export function outcomeJson(outcome: AgentOutcome, pendingOf: (s: RunState) => readonly PendingApproval[]): RunJson {
  if (outcome.kind === 'run') return runJson(outcome.state, pendingOf(outcome.state));
  return {
    run_id: null,
    agent: outcome.agent,
    status: 'failed',
    output: '',
    usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_creation_tokens: 0 },
    cost_usd: 0,
    tool_calls: [],
    pending_approvals: [],
    error: outcome.error,
  };
}

/** `--task --json`: `{task, status, steps}`, the task's status by the same mapping as a run's (plus `resumable`, `error` when interrupted). */
export function taskJson(result: TaskResult, pendingOf: (s: RunState) => readonly PendingApproval[]): { task: string; status: string; steps: RunJson[]; resumable?: true; error?: string } {
  const o = outcomeOf(result);
  const interrupted = o.status === 'failed' && o.resumable;
  return { task: result.task, status: o.status, steps: result.steps.map((s) => outcomeJson(s, pendingOf)), ...(interrupted ? { resumable: true as const, error: o.error ?? 'interrupted' } : {}) };
}
