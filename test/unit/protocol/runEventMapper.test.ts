import assert from 'node:assert/strict';
import { RunEventMapper } from '../../../src/extension/chat/runEventMapper';
import { parseSlashCommand } from '../../../src/extension/chat/slashCommands';
import { parseHostMessage } from '../../../src/protocol/messages';
import { parseRunEvent, type RunEvent } from '../../../src/core/runs/events';
import { must } from '../../fixtures/must';

/** An event as a replay reads it from a log: validated (and, for an old log, brought to today's form). */
function ev(seq: number, type: string, payload: unknown): RunEvent {
  const parsed = parseRunEvent({ seq, time: seq, type, payload });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.event;
}

describe('run events → chat protocol', () => {
  it('turns a write that needs approval (as a log written before approval views stored it) into a pending card with the real path, and keeps the contents for View Diff', () => {
    const m = new RunEventMapper('r-1');
    const out = [
      ...m.map(ev(1, 'tool_call_requested', { call_id: 'c1', tool: 'write', args: { path: 'a.txt', content: 'new' } }), false),
      ...m.map(ev(2, 'tool_call_decided', { call_id: 'c1', prepared: { callId: 'c1', tool: 'write', args: {}, decision: { kind: 'ask', reason: 'writes need approval' }, approval: { tool: 'write', path: '/w/a.txt', relativePath: 'a.txt', diff: '+new', currentContent: 'old', proposedContent: 'new' }, summary: 'write a.txt', unverifiable: false } }), false),
      ...m.map(ev(3, 'approval_requested', { call_id: 'c1', tool: 'write', summary: 'write a.txt', kind: 'ask', reason: 'writes need approval', may_have_run: false }), false),
    ];
    for (const message of out) assert.equal(parseHostMessage(message).ok, true, JSON.stringify(message));
    const request = out.find((x) => x.type === 'approvalRequest');
    assert.ok(request && request.type === 'approvalRequest');
    assert.deepEqual(request.approval, { tool: 'write', fields: [{ label: 'Write', value: '/w/a.txt' }], change: { path: '/w/a.txt', relativePath: 'a.txt', diff: '+new', isNew: false } });
    assert.deepEqual(m.contentFor('c1'), { path: '/w/a.txt', currentContent: 'old', proposedContent: 'new' });
  });

  it('shows a denial with its reason, and replays the answer text only from a log', () => {
    const m = new RunEventMapper('r-1');
    m.map(ev(1, 'tool_call_requested', { call_id: 'c', tool: 'bash', args: { command: 'ls' } }), false);
    const denied = m.map(ev(2, 'approval_denied', { call_id: 'c', by: 'user', reason: 'not now' }), false);
    assert.deepEqual(denied.map((x) => x.type), ['approvalResolved', 'toolCall']);
    assert.equal(denied[1]?.type === 'toolCall' && denied[1].status, 'denied');
    const text = ev(3, 'assistant_message', { turn: 0, text: 'done', tool_calls: [] });
    assert.deepEqual(m.map(text, false), []);
    assert.deepEqual(m.map(text, true), [{ type: 'textDelta', runId: 'r-1', text: 'done' }]);
  });

  it('an opened run that stopped resumably replays as interrupted with Resume; a final failure as failed', () => {
    const m = new RunEventMapper('r-1');
    const transient = must(m.map(ev(4, 'run_failed', { error: 'anthropic call failed: busy', kind: 'overloaded' }), true)[0], 'transient message');
    const cancelled = must(m.map(ev(5, 'run_cancelled', { reason: 'Stopped' }), true)[0], 'cancelled message');
    const final = must(m.map(ev(6, 'run_failed', { error: 'reached max_turns (3)', kind: 'max_turns' }), true)[0], 'final message');
    for (const x of [transient, cancelled, final]) assert.equal(parseHostMessage(x).ok, true, JSON.stringify(x));
    assert.ok(transient.type === 'runFinished' && transient.status === 'interrupted' && transient.error?.actions.includes('resume'));
    assert.ok(cancelled.type === 'runFinished' && cancelled.status === 'interrupted' && cancelled.error?.message === 'Stopped');
    assert.ok(final.type === 'runFinished' && final.status === 'failed' && !final.error?.actions.includes('resume'));
  });

  it('parses slash commands', () => {
    assert.deepEqual(parseSlashCommand('/all  fix it'), { kind: 'all', prompt: 'fix it' });
    assert.deepEqual(parseSlashCommand('/logs dev'), { kind: 'logs', agent: 'dev' });
    assert.deepEqual(parseSlashCommand('/nope'), { kind: 'unknown', name: 'nope' });
    assert.equal(parseSlashCommand('not a command'), null);
  });
});
