import assert from 'node:assert/strict';
import { parseHostMessage, parseWebviewMessage } from '../../../src/protocol/messages';

describe('chat protocol', () => {
  it('accepts a well-formed message from the webview', () => {
    const r = parseWebviewMessage({ type: 'send', text: 'hello', agent: 'assistant' });
    assert.equal(r.ok, true);
    assert.deepEqual(r.ok && r.message, { type: 'send', text: 'hello', agent: 'assistant' });
  });

  it('drops an unknown message type with a reason', () => {
    const r = parseWebviewMessage({ type: 'runShell', command: 'rm -rf /' });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /unknown message type "runShell"/);
  });

  it('drops a message with an extra field (strict) and names it', () => {
    const r = parseWebviewMessage({ type: 'approve', runId: 'r1', callId: 'c1', always: false, path: '/etc/passwd' });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /invalid "approve"/);
  });

  it('drops a message with a wrong field type', () => {
    const r = parseWebviewMessage({ type: 'approve', runId: 'r1', callId: 7, always: false });
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.error : '', /callId/);
  });

  it('drops non-objects and inherited names like __proto__ / toString', () => {
    for (const raw of [null, 'send', 42, [], { type: 'toString' }, { type: '__proto__' }, { type: 'constructor' }]) {
      assert.equal(parseWebviewMessage(raw).ok, false, JSON.stringify(raw));
    }
  });

  it('refuses an empty prompt', () => {
    assert.equal(parseWebviewMessage({ type: 'send', text: '', agent: null }).ok, false);
  });

  it('validates host messages, including approval views by tool', () => {
    const ok = parseHostMessage({
      type: 'approvalRequest',
      runId: 'r1',
      callId: 'c1',
      summary: 'run npm test',
      reason: 'bash needs approval',
      canAlwaysAllow: true,
      approval: { tool: 'bash', command: { text: 'npm test', steps: ['npm test'] }, fields: [{ label: 'In', value: '/w' }], alwaysAllow: 'this command' },
    });
    assert.equal(ok.ok, true);
    const wrongShape = parseHostMessage({
      type: 'approvalRequest',
      runId: 'r1',
      callId: 'c1',
      summary: 's',
      reason: 'r',
      canAlwaysAllow: true,
      approval: { tool: 'bash', path: '/w/a' },
    });
    assert.equal(wrongShape.ok, false);
  });

  it('refuses a run status it does not know', () => {
    assert.equal(parseHostMessage({ type: 'runFinished', runId: 'r', status: 'exploded' }).ok, false);
    assert.equal(parseHostMessage({ type: 'runFinished', runId: 'r', status: 'completed' }).ok, true);
  });
});
