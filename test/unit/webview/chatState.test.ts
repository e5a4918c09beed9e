import assert from 'node:assert/strict';
import { applyHostMessage, emptyState, parseMention, restoreState } from '../../../src/webview/chatState';
import type { HostMessage } from '../../../src/protocol/messages';

describe('chat state reducer', () => {
  it('appends streamed text to the open answer of the same run, and starts a new answer after a tool card', () => {
    const s = emptyState();
    applyHostMessage(s, { type: 'runStarted', runId: 'r1', agent: 'dev', provider: 'openai', model: 'gpt-4o', prompt: 'hi', replay: false });
    assert.deepEqual(applyHostMessage(s, { type: 'textDelta', runId: 'r1', text: 'Hel' }), { kind: 'delta', index: 0, text: 'Hel' });
    applyHostMessage(s, { type: 'textDelta', runId: 'r1', text: 'lo' });
    applyHostMessage(s, { type: 'toolCall', runId: 'r1', callId: 'c1', tool: 'read', args: '{}', status: 'running' });
    applyHostMessage(s, { type: 'textDelta', runId: 'r1', text: 'after' });
    assert.deepEqual(s.items.map((i) => i.kind), ['assistant', 'tool', 'assistant']);
    assert.equal(s.items[0]?.kind === 'assistant' && s.items[0].text, 'Hello');
  });

  it('updates a tool card in place and resolves an approval once', () => {
    const s = emptyState();
    applyHostMessage(s, { type: 'toolCall', runId: 'r', callId: 'c', tool: 'write', args: '{}', status: 'pending' });
    const approval: HostMessage = { type: 'approvalRequest', runId: 'r', callId: 'c', summary: 'write a', reason: 'asks', canAlwaysAllow: false, approval: { tool: 'write', fields: [{ label: 'Create', value: '/w/a' }], change: { path: '/w/a', relativePath: 'a', diff: '', isNew: true } } };
    applyHostMessage(s, approval);
    assert.equal(applyHostMessage(s, approval).kind, 'none', 'a repeated request is not shown twice');
    applyHostMessage(s, { type: 'approvalResolved', runId: 'r', callId: 'c', approved: false });
    applyHostMessage(s, { type: 'toolCall', runId: 'r', callId: 'c', tool: 'write', args: '{}', status: 'denied' });
    assert.equal(s.items.length, 2);
    assert.equal(s.items[0]?.kind === 'tool' && s.items[0].status, 'denied');
    assert.equal(s.items[1]?.kind === 'approval' && s.items[1].resolved, false);
  });

  it('discard empties the open answer', () => {
    const s = emptyState();
    applyHostMessage(s, { type: 'textDelta', runId: 'r', text: 'partial' });
    assert.equal(applyHostMessage(s, { type: 'textDiscard', runId: 'r', reason: 'stream broke' }).kind, 'discard');
    assert.equal(s.items[0]?.kind === 'assistant' && s.items[0].text, '');
  });

  it('restores a saved state but never a stream in progress, and ignores foreign shapes', () => {
    const s = emptyState();
    applyHostMessage(s, { type: 'textDelta', runId: 'r', text: 'x' });
    s.busyRunId = 'r';
    const back = restoreState(JSON.parse(JSON.stringify(s)));
    assert.equal(back.busyRunId, null);
    assert.equal(back.items[0]?.kind === 'assistant' && back.items[0].done, true);
    assert.deepEqual(restoreState({ version: 2, items: 'nope' }), emptyState());
  });

  it('takes @agent only for a known agent', () => {
    const agents = [{ name: 'reviewer', provider: 'openai', model: 'gpt-4o', tools: [] }];
    assert.deepEqual(parseMention('@reviewer look at this', agents), { agent: 'reviewer', text: 'look at this' });
    assert.deepEqual(parseMention('@nobody hi', agents), { agent: null, text: '@nobody hi' });
  });
});
