import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { runCliInProcess } from '../cli/runCliInProcess';
import { must } from '../../fixtures/must';

/**
 * The approval rules a script meets through the real CLI (in process, real core, fake LLM server):
 * `--approve RUN` without `--call` never approves an ask-every-time call; an approved call is judged
 * again with the config in force when it is to run; an agent delegates only to its `delegates`.
 */
describe('security: approvals across processes and delegation (CLI)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let ws: string;
  let store: string;

  const DEV = `settings:\n  max_retries: 0\nagents:\n  dev:\n    provider: anthropic\n    tools: [read, write, edit, bash]\n`;
  const setup = (yaml: string) => {
    const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-approve-')));
    ws = path.join(base, 'ws');
    store = path.join(base, 'store');
    fs.mkdirSync(path.join(ws, '.breakwater'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.breakwater', 'agents.yaml'), yaml);
  };
  const cli = (...args: string[]) =>
    runCliInProcess([...args, '--store', store, '--json'], ws, { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, PATH: process.env.PATH });
  const events = (runId: string) => fs.readFileSync(path.join(store, `${runId}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; payload: Record<string, unknown> });
  const lastToolResult = () => JSON.stringify(llm.requests.at(-1)?.body);

  afterEach(() => fs.rmSync(path.dirname(ws), { recursive: true, force: true }));

  it('--approve RUN approves the plain ask and leaves the ask-every-time call waiting, saying how to approve it', async () => {
    setup(DEV);
    fs.mkdirSync(path.join(ws, '.git'));
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'plain', name: 'write', args: { path: 'a.txt', content: 'A' } }, { id: 'every', name: 'write', args: { path: '.git/config', content: 'x' } }] });
    const paused = await cli('--agent', 'dev', '--prompt', 'go');
    assert.equal(paused.code, 3, paused.err);
    const runId = paused.json().run_id as string;

    const blanket = await cli('--approve', runId);
    assert.equal(blanket.code, 3, blanket.err);
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'A');
    assert.equal(fs.existsSync(path.join(ws, '.git', 'config')), false);
    assert.deepEqual(blanket.json().pending_approvals.map((p: { call_id: string }) => p.call_id), ['every']);
    assert.match(blanket.err, new RegExp(`--approve ${runId} --call every`));
    assert.equal(events(runId).filter((e) => e.type === 'approval_granted' && e.payload.call_id === 'every').length, 0);

    llm.enqueue({ kind: 'reply', text: 'done' });
    const byId = await cli('--approve', runId, '--call', 'every');
    assert.equal(byId.code, 0, byId.err);
    assert.equal(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8'), 'x');
  });

  it('--approve RUN with only ask-every-time calls pending changes nothing and exits 3', async () => {
    setup(DEV);
    h.file(ws, '.env', 'SECRET=1\n');
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 's1', name: 'read', args: { path: '.env' } }] });
    const paused = await cli('--agent', 'dev', '--prompt', 'go');
    const runId = paused.json().run_id as string;
    const before = events(runId).length;
    const blanket = await cli('--approve', runId);
    assert.equal(blanket.code, 3, blanket.err);
    assert.equal(blanket.json().status, 'waiting_on_human');
    assert.match(blanket.err, /needs approval every time/);
    assert.equal(events(runId).length, before, 'nothing was recorded');
    assert.equal(llm.requests.length, 1, 'the model was not called again');
  });

  it('a command denied in the config after the pause is refused when approved; the model is told', async () => {
    setup(DEV);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch marker' } }] });
    const runId = (await cli('--agent', 'dev', '--prompt', 'go')).json().run_id as string;
    fs.writeFileSync(path.join(ws, '.breakwater', 'agents.yaml'), DEV.replace('settings:\n', 'settings:\n  denied_commands: [touch]\n'));
    llm.enqueue({ kind: 'reply', text: 'understood' });
    const approved = await cli('--approve', runId, '--call', 'c1');
    assert.equal(approved.code, 0, approved.err);
    assert.equal(approved.json().tool_calls[0].status, 'blocked');
    assert.equal(fs.existsSync(path.join(ws, 'marker')), false);
    assert.match(lastToolResult(), /Blocked: .*touch.* is in denied_commands .*judged again/);
  });

  it('a path ignored after the pause is refused when approved', async () => {
    setup(DEV);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'w1', name: 'write', args: { path: 'notes/a.txt', content: 'A' } }] });
    const runId = (await cli('--agent', 'dev', '--prompt', 'go')).json().run_id as string;
    fs.writeFileSync(path.join(ws, '.breakwaterignore'), 'notes/\n');
    llm.enqueue({ kind: 'reply', text: 'understood' });
    const approved = await cli('--approve', runId, '--call', 'w1');
    assert.equal(approved.json().tool_calls[0].status, 'blocked');
    assert.equal(fs.existsSync(path.join(ws, 'notes', 'a.txt')), false);
    assert.match(lastToolResult(), /breakwaterignore/);
  });

  it('a call that became stricter since it was approved asks again instead of running', async () => {
    setup(DEV);
    fs.mkdirSync(path.join(ws, '.git'));
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'echo x > hooks/out' } }] });
    const runId = (await cli('--agent', 'dev', '--prompt', 'go')).json().run_id as string;
    // Between the pause and the approval, `hooks` becomes a link into .git: the redirect now writes a protected path.
    fs.symlinkSync('.git', path.join(ws, 'hooks'));
    const blanket = await cli('--approve', runId);
    assert.equal(blanket.code, 3, blanket.err);
    assert.equal(fs.existsSync(path.join(ws, '.git', 'out')), false);
    const asked = events(runId).filter((e) => e.type === 'approval_requested');
    assert.equal(asked.length, 2);
    assert.equal(must(asked[1], 'asked[1]').payload.kind, 'ask_every_time');
    assert.match(String(must(asked[1], 'asked[1]').payload.reason), /\.git.*configuration changed since it was approved/);
    llm.enqueue({ kind: 'reply', text: 'ok' });
    const denied = await cli('--deny', runId, '--call', 'c1');
    assert.equal(denied.code, 0, denied.err);
    assert.equal(fs.existsSync(path.join(ws, '.git', 'out')), false);
  });

  it('a write whose target changed since approval is not written anywhere', async () => {
    setup(DEV);
    fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'w1', name: 'write', args: { path: 'hooks/pre-commit', content: '#!/bin/sh\ntouch evil\n' } }] });
    const runId = (await cli('--agent', 'dev', '--prompt', 'go')).json().run_id as string;
    fs.symlinkSync('.git/hooks', path.join(ws, 'hooks'));
    llm.enqueue({ kind: 'reply', text: 'ok' });
    const approved = await cli('--approve', runId, '--call', 'w1');
    assert.equal(approved.json().tool_calls[0].status, 'error');
    assert.equal(fs.existsSync(path.join(ws, '.git', 'hooks', 'pre-commit')), false);
    assert.match(lastToolResult(), /changed since the call was approved/);
  });

  const TEAM = `settings:\n  max_retries: 0\nagents:\n  lead:\n    provider: anthropic\n    tools: [read]\n    delegates: [reviewer]\n  reviewer:\n    provider: anthropic\n    tools: [read]\n  intern:\n    provider: anthropic\n    tools: [read, delegate]\n`;

  it('an agent delegates to an agent in its delegates list, and the model is told whom it may ask', async () => {
    setup(TEAM);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'd1', name: 'delegate', args: { agent: 'reviewer', prompt: 'check' } }] }, { kind: 'reply', text: 'looks fine' }, { kind: 'reply', text: 'reviewed: looks fine' });
    const r = await cli('--agent', 'lead', '--prompt', 'review it');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json().tool_calls[0].status, 'ok');
    const first = JSON.stringify(must(llm.requests[0], 'llm.requests[0]').body);
    assert.match(first, /You may ask only: reviewer/);
    assert.match(first, /only these: reviewer/);
    assert.doesNotMatch(first, /intern/);
  });

  it('delegating to an agent outside the list is refused with the key to change', async () => {
    setup(TEAM);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'd1', name: 'delegate', args: { agent: 'intern', prompt: 'do it' } }] }, { kind: 'reply', text: 'ok' });
    const r = await cli('--agent', 'lead', '--prompt', 'go');
    assert.equal(r.json().tool_calls[0].status, 'blocked');
    assert.match(lastToolResult(), /may delegate only to reviewer; add \\"intern\\" to agents\.lead\.delegates/);
    assert.equal(llm.requests.length, 2, 'the intern was never asked');
  });

  it('the delegate tool alone, without a delegates list, lets an agent ask no one', async () => {
    setup(TEAM);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'd1', name: 'delegate', args: { agent: 'lead', prompt: 'do it' } }] }, { kind: 'reply', text: 'ok' });
    const r = await cli('--agent', 'intern', '--prompt', 'go');
    // The tool is not offered, so a call to it is answered as an error (never run).
    assert.doesNotMatch(JSON.stringify((must(llm.requests[0], 'llm.requests[0]').body as { tools?: unknown }).tools ?? []), /delegate/);
    assert.notEqual(r.json().tool_calls[0].status, 'ok');
    assert.match(lastToolResult(), /there is no tool named \\"delegate\\"/);
    assert.equal(llm.requests.length, 2, 'the lead was never asked');
  });

  const h = {
    file(root: string, rel: string, content: string) {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), content);
    },
  };
});
