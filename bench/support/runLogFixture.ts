import * as fs from 'node:fs';
import type { RunEventInput, RunEventType } from '../../src/core/runs/events';

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
