import type { AgentOutcome, PendingApproval, RunState, TaskResult } from '../core/breakwater';
import { visibleText } from '../core/common/visibleText';

/** The documented `--json` run object (PRODUCT.md). Field names and order are part of the interface. */
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
}

/** `pending`: the run's own pending approvals and those of delegate runs it waits on. */
export function runJson(state: RunState, pending: readonly PendingApproval[] = state.pendingApprovals): RunJson {
  const status = state.status === 'completed' ? 'completed' : state.status === 'waiting_on_human' ? 'waiting_on_human' : state.status === 'running' ? 'waiting_on_human' : 'failed';
  const out: RunJson = {
    run_id: state.runId,
    agent: state.agent,
    status,
    output: state.output,
    usage: { ...state.usage },
    cost_usd: Math.round(state.costUsd * 1e6) / 1e6,
    tool_calls: state.toolCalls.map((c) => ({ id: c.id, tool: c.tool, status: c.status, ...(c.error !== undefined && c.status !== 'ok' ? { error: c.error } : {}) })),
    // Whole and escaped: a summary never hides part of the call (runs logged before escaping existed too).
    pending_approvals: pending.map((p) => ({ call_id: p.callId, tool: p.tool, summary: visibleText(p.summary) })),
  };
  if (status === 'failed') out.error = state.error ?? state.status;
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

export function taskJson(result: TaskResult, pendingOf: (s: RunState) => readonly PendingApproval[]): { task: string; status: string; steps: RunJson[] } {
  // Same mapping as a run's: cancelled is failed; a task cut short by a crash (running) waits on a resume.
  const status = result.status === 'cancelled' ? 'failed' : result.status === 'running' ? 'waiting_on_human' : result.status;
  return { task: result.task, status, steps: result.steps.map((s) => outcomeJson(s, pendingOf)) };
}
