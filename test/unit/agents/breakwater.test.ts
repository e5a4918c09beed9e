import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { terminalApprover } from '../../../src/cli/terminalApprover';
import type { ApprovalPrompt } from '../../../src/core/agents/approvals';
import { openTestBreakwater, type Scripted } from './fakes';
import { must } from '../../fixtures/must';

const YAML = `agents:\n  boss:\n    tools: [delegate]\n    delegates: [worker]\n  worker:\n    tools: [write]\n`;

async function open(scripts: Record<string, Scripted[]>) {
  const { bw, root } = await openTestBreakwater(YAML, scripts);
  return { bw, root };
}

describe('createBreakwater', () => {
  it('approving a parent run approves the pending call of the delegate run it waits on', async () => {
    const { bw, root } = await open({
      boss: [{ calls: [{ id: 'd1', name: 'delegate', args: { agent: 'worker', prompt: 'write it' } }] }, { text: 'boss done' }],
      worker: [{ calls: [{ id: 'w1', name: 'write', args: { path: 'f.txt', content: 'F' } }] }, { text: 'written' }],
    });
    const paused = await bw.ask('boss', 'go');
    assert.equal(paused.status, 'waiting_on_human');
    const pending = bw.pendingApprovals(paused.runId);
    assert.deepEqual(pending.map((p) => p.approval.callId), ['w1']);
    assert.notEqual(must(pending[0], 'pending[0]').runId, paused.runId);
    const done = await bw.approve(paused.runId, 'w1');
    assert.equal(done.status, 'completed');
    assert.equal(done.output, 'boss done');
    assert.equal(fs.readFileSync(path.join(root, 'f.txt'), 'utf8'), 'F');
    // Transcripts are derived from the logs for both agents.
    assert.match(fs.readFileSync(bw.layout.transcript('worker'), 'utf8'), /APPROVED/);
    bw.dispose();
  });

  it('approve with nothing pending says so', async () => {
    const { bw } = await open({ worker: [{ text: 'hi' }] });
    const s = await bw.ask('worker', 'x');
    await assert.rejects(bw.approve(s.runId), /no pending approvals \(status: completed\)/);
    bw.dispose();
  });
});

describe('terminal approver', () => {
  const prompt: ApprovalPrompt = { runId: 'r', agent: 'dev', callId: 'c', tool: 'write', summary: 'write a.txt', kind: 'ask', reason: 'writes', mayHaveRun: false, request: { tool: 'bash', command: { text: 'ls', steps: ['ls'] }, fields: [{ label: 'In', value: '/w' }], alwaysAllow: 'this command' } };
  async function answer(lines: string, p: ApprovalPrompt = prompt) {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const pending = terminalApprover(input, output)(p, new AbortController().signal);
    input.end(lines);
    return { result: await pending, shown };
  }

  it('yes, no, always and show-diff', async () => {
    assert.deepEqual((await answer('y\n')).result, { kind: 'grant', by: 'user' });
    assert.equal((await answer('no\n')).result.kind, 'deny');
    assert.deepEqual((await answer('a\n')).result, { kind: 'grant', by: 'user', always: true });
    const d = await answer('d\ny\n');
    assert.match(d.shown, /\$ ls/);
    assert.equal(d.result.kind, 'grant');
  });

  it('offers no "always" for ask-every-time and defers on end of input', async () => {
    const r = await answer('a\n', { ...prompt, kind: 'ask_every_time' });
    assert.match(r.shown, /please answer/);
    assert.equal(r.result.kind, 'defer');
  });
});
