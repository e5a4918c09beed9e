import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEventSchema, type RunEventInput, type RunEventType } from '../../src/core/runs/events';

type Entry = { [T in RunEventType]: { type: T; payload: RunEventInput<T> } }[RunEventType];

/**
 * The events of a long agent run, in the order the agent loop writes them: a model turn that asks for a
 * tool, the approval, the call, its result — repeated until `count` events, then `run_completed`. Outputs
 * are a few hundred bytes, like a capped read or grep.
 */
export function syntheticRunEvents(count: number, runId = 'bench-run'): Entry[] {
  const events: Entry[] = [{ type: 'run_started', payload: { run_id: runId, agent: 'dev', prompt: 'Refactor the parser and keep the tests green.', config_hash: 'sha256:bench' } }];
  const usage = { input_tokens: 1800, output_tokens: 240, cache_read_tokens: 1200, cache_creation_tokens: 0 };
  for (let turn = 0; events.length < count - 1; turn++) {
    const callId = `toolu_${String(turn).padStart(6, '0')}`;
    const args = { path: `src/pkg${turn % 7}/module${turn}.ts` };
    const decision = { kind: 'ask', reason: 'writes a file', grantKey: `write:${args.path}` } as const;
    events.push(
      { type: 'llm_call_started', payload: { turn, provider: 'anthropic', model: 'claude-sonnet-4-5' } },
      { type: 'llm_call_completed', payload: { turn, provider: 'anthropic', model: 'claude-sonnet-4-5', usage, cost_usd: 0.0094, attempts: 1, stop_reason: 'tool_use' } },
      { type: 'assistant_message', payload: { turn, text: `Step ${turn}: I will read ${args.path} and adjust the exports.`, tool_calls: [{ id: callId, name: 'edit', args }] } },
      { type: 'tool_call_requested', payload: { call_id: callId, tool: 'edit', args } },
      { type: 'tool_call_decided', payload: { call_id: callId, prepared: { callId, tool: 'edit', args, decision, summary: `edit ${args.path}`, unverifiable: false } } },
      { type: 'approval_requested', payload: { call_id: callId, tool: 'edit', summary: `edit ${args.path}`, kind: 'ask', reason: 'writes a file' } },
      { type: 'approval_granted', payload: { call_id: callId, by: 'user' } },
      { type: 'tool_call_started', payload: { call_id: callId, idempotency_key: `${runId}:${callId}` } },
      { type: 'tool_call_completed', payload: { call_id: callId, output: `Edited ${args.path}: ${'replaced 3 lines; '.repeat(12)}` } },
    );
  }
  events.length = count - 1;
  events.push({ type: 'run_completed', payload: { output: 'Done: the parser is refactored and the tests pass.' } });
  return events;
}

/**
 * Writes `events` as a run log file (one validated JSON object per line, sequence numbers from 0) without
 * fsyncing each line, so building a 10 000-event fixture takes milliseconds, not a minute.
 */
export function writeRunLogFixture(file: string, events: readonly Entry[], validate: (value: unknown) => unknown): void {
  const t0 = 1_763_700_000_000;
  const lines = events.map((e, seq) => `${JSON.stringify(validate({ seq, time: t0 + seq * 25, type: e.type, payload: e.payload }))}\n`);
  fs.writeFileSync(file, lines.join(''));
}

/** How a fixture run ends. */
export type FixtureEnd = 'completed' | 'running' | 'waiting' | 'failed' | 'transient' | 'cancelled';

/** The events of a small agent run that ends as `end`. */
export function runEvents(runId: string, end: FixtureEnd, agent = 'dev'): Entry[] {
  const usage = { input_tokens: 100, output_tokens: 20, cache_read_tokens: 0, cache_creation_tokens: 0 };
  const events: Entry[] = [
    { type: 'run_started', payload: { run_id: runId, agent, prompt: `do the thing ${runId}`, config_hash: 'h' } },
    { type: 'llm_call_started', payload: { turn: 0, provider: 'anthropic', model: 'm' } },
    { type: 'llm_call_completed', payload: { turn: 0, provider: 'anthropic', model: 'm', usage, cost_usd: 0.25, attempts: 1, stop_reason: 'tool_use' } },
    { type: 'assistant_message', payload: { turn: 0, text: 'writing', tool_calls: [{ id: 'c1', name: 'write', args: { path: 'a.txt', content: 'x' } }] } },
    { type: 'tool_call_requested', payload: { call_id: 'c1', tool: 'write', args: { path: 'a.txt', content: 'x' } } },
    { type: 'approval_requested', payload: { call_id: 'c1', tool: 'write', summary: 'write a.txt', kind: 'ask', reason: 'writes a file' } },
  ];
  switch (end) {
    case 'waiting':
      events.push({ type: 'run_paused', payload: { reason: '1 call(s) need approval', pending: ['c1'] } });
      return events;
    case 'running':
      return events;
    case 'completed':
      events.push({ type: 'approval_granted', payload: { call_id: 'c1', by: 'user' } }, { type: 'tool_call_started', payload: { call_id: 'c1', idempotency_key: 'c1' } }, { type: 'tool_call_completed', payload: { call_id: 'c1', output: 'written' } }, { type: 'run_completed', payload: { output: 'done' } });
      return events;
    case 'failed':
      events.push({ type: 'approval_denied', payload: { call_id: 'c1', by: 'user' } }, { type: 'run_failed', payload: { error: 'reached max_turns (1)', kind: 'max_turns' } });
      return events;
    case 'transient':
      events.push({ type: 'approval_denied', payload: { call_id: 'c1', by: 'user' } }, { type: 'run_failed', payload: { error: 'anthropic call failed: overloaded', kind: 'overloaded' } });
      return events;
    case 'cancelled':
      events.push({ type: 'approval_denied', payload: { call_id: 'c1', by: 'user' } }, { type: 'run_cancelled', payload: { reason: 'interrupted (Ctrl-C)' } });
      return events;
  }
}

/** Writes a run log as the writer would (validated lines, sequence from 0), without fsync: fixtures only. */
export function writeRunFile(root: string, runId: string, events: readonly Entry[], t0 = 1_763_700_000_000): string {
  fs.mkdirSync(root, { recursive: true });
  const file = path.join(root, `${runId}.jsonl`);
  fs.writeFileSync(file, events.map((e, seq) => `${JSON.stringify(runEventSchema.parse({ seq, time: t0 + seq * 10, type: e.type, payload: e.payload }))}\n`).join(''));
  return file;
}

/** A run id for fixture number `i` (ids sort by their time part). */
export function fixtureRunId(i: number): string {
  const s = String(i % 60).padStart(2, '0');
  const m = String(Math.floor(i / 60) % 60).padStart(2, '0');
  const h = String(Math.floor(i / 3600) % 24).padStart(2, '0');
  return `r-20250101-${h}${m}${s}-${(i % 0xffffff).toString(16).padStart(6, '0')}`;
}
