import type { ChatMessage, ToolResultMessage } from '../providers/types';
import type { RunEvent } from './events';
import { nextPhase, RUNNING, type RunPhase } from './runPhase';
import type { PendingApproval, RunState, ToolCallState } from './runState';

/** Statuses that mean a call is over: the model gets an answer for it. */
const FINAL = new Set(['ok', 'error', 'denied', 'blocked', 'skipped']);

export function isFinished(call: ToolCallState): boolean {
  return FINAL.has(call.status);
}

/**
 * Run state as a pure function of its events. Same events in, equal state out; no clock,
 * no I/O, no mutation of the input. Throws if the first event is not `run_started`.
 */
export function fold(events: readonly RunEvent[]): RunState {
  const first = events[0];
  if (first?.type !== 'run_started') throw new Error('a run log must begin with run_started');
  const start = first.payload;
  let phase: RunPhase = RUNNING;
  let turns = 0;
  let output = '';
  let costUsd = 0;
  const usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_creation_tokens: 0 };
  const calls = new Map<string, ToolCallState>();
  const order: ToolCallState[] = [];
  const pending = new Map<string, PendingApproval>();
  const turnTexts: { text: string; calls: ToolCallState[] }[] = [];

  for (const e of events.slice(1)) {
    phase = nextPhase(phase, e);
    switch (e.type) {
      case 'llm_call_completed':
        usage.input_tokens += e.payload.usage.input_tokens;
        usage.output_tokens += e.payload.usage.output_tokens;
        usage.cache_read_tokens += e.payload.usage.cache_read_tokens;
        usage.cache_creation_tokens += e.payload.usage.cache_creation_tokens;
        costUsd += e.payload.cost_usd;
        break;
      case 'assistant_message': {
        turns++;
        output = e.payload.text;
        const turnCalls: ToolCallState[] = [];
        for (const tc of e.payload.tool_calls) {
          const call: ToolCallState = { id: tc.id, tool: tc.name, args: tc.args, turn: e.payload.turn, status: 'pending', approval: 'none', started: false, starts: 0, mayHaveRun: false };
          if (tc.invalid !== undefined) call.invalid = tc.invalid;
          calls.set(tc.id, call);
          order.push(call);
          turnCalls.push(call);
        }
        turnTexts.push({ text: e.payload.text, calls: turnCalls });
        break;
      }
      case 'tool_call_decided': {
        const c = calls.get(e.payload.call_id);
        if (c) c.prepared = e.payload.prepared;
        break;
      }
      case 'approval_requested': {
        const c = calls.get(e.payload.call_id);
        if (c) {
          c.approval = 'pending';
          c.mayHaveRun = e.payload.may_have_run;
          // Re-asked after a crash: the interrupted attempt is now a question, not a call in flight.
          if (e.payload.may_have_run) c.started = false;
        }
        pending.set(e.payload.call_id, { callId: e.payload.call_id, tool: e.payload.tool, summary: e.payload.summary, kind: e.payload.kind, reason: e.payload.reason, mayHaveRun: e.payload.may_have_run });
        break;
      }
      case 'approval_granted': {
        const c = calls.get(e.payload.call_id);
        // A decision that arrives after the call finished (a racing --deny/--approve) changes nothing.
        if (c && isFinished(c)) break;
        if (c) {
          c.approval = 'granted';
          c.grantedBy = e.payload.by;
        }
        pending.delete(e.payload.call_id);
        break;
      }
      case 'approval_denied': {
        const c = calls.get(e.payload.call_id);
        if (c && isFinished(c)) break;
        if (c) {
          c.approval = 'denied';
          c.status = 'denied';
          c.started = false;
          c.error = e.payload.reason ? `denied: ${e.payload.reason}` : 'denied by the user';
        }
        pending.delete(e.payload.call_id);
        break;
      }
      case 'tool_call_started': {
        const c = calls.get(e.payload.call_id);
        if (c) {
          c.started = true;
          c.starts++;
          if (e.payload.child_run_id) c.childRunId = e.payload.child_run_id;
        }
        break;
      }
      case 'tool_call_completed': {
        const c = calls.get(e.payload.call_id);
        if (c) {
          c.status = 'ok';
          c.started = false;
          c.output = e.payload.output;
          costUsd += e.payload.cost_usd ?? 0;
        }
        break;
      }
      case 'tool_call_failed': {
        const c = calls.get(e.payload.call_id);
        if (c) {
          c.status = e.payload.status;
          c.started = false;
          c.error = e.payload.error;
        }
        pending.delete(e.payload.call_id);
        break;
      }
      case 'tool_call_skipped': {
        const c = calls.get(e.payload.call_id);
        if (c) {
          c.status = 'skipped';
          c.started = false;
          c.error = e.payload.reason;
        }
        pending.delete(e.payload.call_id);
        break;
      }
      case 'run_completed':
        output = e.payload.output;
        break;
      default:
        break;
    }
  }

  const messages: ChatMessage[] = [{ role: 'user', text: start.context ? `${start.context}\n\n---\n\n${start.prompt}` : start.prompt }];
  for (const turn of turnTexts) {
    messages.push({ role: 'assistant', text: turn.text, toolCalls: turn.calls.map((c) => ({ id: c.id, name: c.tool, args: c.args })) });
    if (turn.calls.length > 0 && turn.calls.every(isFinished)) messages.push({ role: 'tool', results: turn.calls.map(toolResult) });
  }

  // The log is not empty: its first event was checked above.
  const last = events.at(-1) ?? first;
  return {
    runId: start.run_id,
    agent: start.agent,
    prompt: start.prompt,
    ...(start.context === undefined ? {} : { context: start.context }),
    configHash: start.config_hash,
    ...(start.parent_run_id === undefined ? {} : { parentRunId: start.parent_run_id }),
    depth: start.depth,
    chain: start.chain,
    ...(start.task === undefined ? {} : { task: start.task }),
    ...(start.task_run_id === undefined ? {} : { taskRunId: start.task_run_id }),
    ...phase,
    startedAt: first.time,
    updatedAt: last.time,
    messages,
    toolCalls: order,
    pendingApprovals: [...pending.values()],
    turns,
    usage,
    costUsd,
    output,
    lastSeq: last.seq,
  };
}

function toolResult(c: ToolCallState): ToolResultMessage {
  if (c.status === 'ok') return { callId: c.id, toolName: c.tool, content: c.output ?? '', isError: false };
  const prefix = c.status === 'blocked' ? 'Blocked' : c.status === 'denied' ? 'Not run: the user denied it' : c.status === 'skipped' ? 'Skipped' : 'Error';
  return { callId: c.id, toolName: c.tool, content: `${prefix}: ${c.error ?? ''}`.trim(), isError: true };
}
