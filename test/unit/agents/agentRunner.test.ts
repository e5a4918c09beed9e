import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentRunner } from '../../../src/core/agents/agentRunner';
import { yesFlagApprover, type Approver } from '../../../src/core/agents/approvals';
import { Orchestrator } from '../../../src/core/agents/orchestrator';
import { ProviderError } from '../../../src/core/providers/errors';
import { undoRun } from '../../../src/core/runs/undo';
import { makeRuntime } from './fakes';
import { must } from '../../fixtures/must';

const YAML = `
agents:
  dev:
    role: You write code.
    tools: [read, write, bash, delegate]
    delegates: [rev]
  rev:
    role: You review.
    tools: [read, delegate]
    delegates: [dev]
tasks:
  ship:
    steps:
      - { agent: dev, prompt: build it }
      - { agent: rev, prompt: review it }
      - { agent: dev, prompt: summarise }
`;
const signal = () => new AbortController().signal;

describe('agent loop', () => {
  it('answers with the role and workspace in the system prompt, and completes', async () => {
    const { rt, gateway } = makeRuntime(YAML, { dev: [{ text: 'hello' }] });
    const s = await new AgentRunner(rt).start({ agent: 'dev', prompt: 'hi' }, signal());
    assert.equal(s.status, 'completed');
    assert.equal(s.output, 'hello');
    assert.match(must(gateway.requests[0], 'gateway.requests[0]').request.system, /^# dev\n\nYou write code\./);
    assert.match(must(gateway.requests[0], 'gateway.requests[0]').request.system, /## Workspace/);
  });

  it('pauses a write for approval, never runs it alone, and continues after approve', async () => {
    const { rt, engine, root } = makeRuntime(YAML, { dev: [{ calls: [{ id: 'c1', name: 'write', args: { path: 'a.txt', content: 'A' } }] }, { text: 'done' }] });
    const runner = new AgentRunner(rt);
    const paused = await runner.start({ agent: 'dev', prompt: 'write' }, signal());
    assert.equal(paused.status, 'waiting_on_human');
    assert.deepEqual(paused.pendingApprovals.map((p) => p.callId), ['c1']);
    assert.equal(engine.executed.length, 0);
    // A resume without anyone to answer leaves it paused and unexecuted.
    const again = await runner.resume(paused.runId, signal());
    assert.equal(again.status, 'waiting_on_human');
    assert.equal(engine.executed.length, 0);
    const approving = new AgentRunner({ ...rt, approver: async () => ({ kind: 'grant', by: 'user' }) });
    const done = await approving.resume(paused.runId, signal());
    assert.equal(done.status, 'completed');
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'A');
    assert.deepEqual(engine.executed.map((e) => e.authorization.by), ['user']);
  });

  it('--yes covers ask but not ask-every-time nor a hard block', async () => {
    const { rt, engine } = makeRuntime(YAML, {
      dev: [{ calls: [
        { id: 'w', name: 'write', args: { path: 'ok.txt', content: 'x' } },
        { id: 's', name: 'write', args: { path: 'secret.env', content: 'x' } },
        { id: 'b', name: 'read', args: { path: '/etc/passwd' } },
      ] }],
    });
    const s = await new AgentRunner({ ...rt, approver: yesFlagApprover() }).start({ agent: 'dev', prompt: 'go' }, signal());
    assert.equal(s.status, 'waiting_on_human');
    const byId = Object.fromEntries(s.toolCalls.map((c) => [c.id, c.status]));
    assert.deepEqual(byId, { w: 'ok', s: 'pending', b: 'blocked' });
    assert.deepEqual(engine.executed.map((e) => [e.callId, e.authorization.by]), [['w', 'yes_flag']]);
  });

  it('a denied call is answered to the model as not run', async () => {
    const { rt, gateway } = makeRuntime(YAML, { dev: [{ calls: [{ id: 'c1', name: 'bash', args: { command: 'rm -rf build' } }] }, { text: 'ok, I will not' }] });
    const deny: Approver = async () => ({ kind: 'deny', reason: 'no' });
    const s = await new AgentRunner({ ...rt, approver: deny }).start({ agent: 'dev', prompt: 'clean' }, signal());
    assert.equal(s.status, 'completed');
    assert.equal(must(s.toolCalls[0], 's.toolCalls[0]').status, 'denied');
    const toolMsg = must(gateway.requests[1], 'gateway.requests[1]').request.messages.find((m) => m.role === 'tool');
    assert.ok(toolMsg && toolMsg.role === 'tool' && must(toolMsg.results[0], 'toolMsg.results[0]').isError);
  });

  it('the loop guard stops the same call repeated', async () => {
    const same = { calls: [{ id: 'x', name: 'read', args: { path: 'a' } }] };
    const { rt } = makeRuntime(YAML, { dev: [1, 2, 3].map((i) => ({ calls: [{ ...must(same.calls[0], 'the repeated call'), id: `c${i}` }] })) });
    const s = await new AgentRunner(rt).start({ agent: 'dev', prompt: 'loop' }, signal());
    assert.equal(s.status, 'failed');
    assert.match(s.error ?? '', /loop guard/);
    assert.equal(must(s.toolCalls[2], 's.toolCalls[2]').status, 'skipped');
  });

  it('cancels at any point: the run is interrupted (cancelled), not finished', async () => {
    const ctl = new AbortController();
    const { rt } = makeRuntime(YAML, { dev: [{ text: 'never' }] }, {});
    const orig = rt.gateway.call.bind(rt.gateway);
    const rt2 = { ...rt, gateway: { call: async (...a: Parameters<typeof orig>) => { ctl.abort(new Error('user stopped it')); return orig(...a); } } };
    const s = await new AgentRunner(rt2).start({ agent: 'dev', prompt: 'x' }, ctl.signal);
    assert.equal(s.status, 'interrupted');
    assert.ok(s.status === 'interrupted' && s.interruption.kind === 'cancelled');
    assert.equal(s.error, 'user stopped it');
  });

  it('undo reverts the run and refuses a file changed since', async () => {
    const { rt, root, layout } = makeRuntime(YAML, { dev: [{ calls: [{ id: 'c1', name: 'write', args: { path: 'a.txt', content: 'new' } }, { id: 'c2', name: 'write', args: { path: 'b.txt', content: 'B' } }] }, { text: 'ok' }] });
    fs.writeFileSync(path.join(root, 'a.txt'), 'old');
    const s = await new AgentRunner({ ...rt, approver: yesFlagApprover() }).start({ agent: 'dev', prompt: 'x' }, signal());
    assert.equal(s.status, 'completed');
    fs.writeFileSync(path.join(root, 'b.txt'), 'edited by hand');
    const r = undoRun(layout, s.runId);
    assert.equal(fs.readFileSync(path.join(root, 'a.txt'), 'utf8'), 'old');
    assert.equal(fs.readFileSync(path.join(root, 'b.txt'), 'utf8'), 'edited by hand');
    assert.equal(r.complete, false);
    assert.match(r.files.find((f) => f.outcome === 'refused')?.outcome === 'refused' ? (r.files.find((f) => f.outcome === 'refused') as { reason: string }).reason : '', /changed after the run/);
  });
});

describe('orchestration', () => {
  it('askAll isolates one agent failing', async () => {
    const { rt } = makeRuntime(YAML, { dev: [new ProviderError('server', 'boom')], rev: [{ text: 'fine' }] });
    const results = await new Orchestrator(rt).askAll('hi', signal());
    const dev = results.get('dev');
    const rev = results.get('rev');
    // A server error is transient: the run is interrupted (resumable), typed by the provider error's kind.
    assert.ok(dev?.kind === 'run' && dev.state.status === 'interrupted' && dev.state.interruption.kind === 'failure' && dev.state.interruption.failure.kind === 'server');
    assert.ok(rev?.kind === 'run' && rev.state.status === 'completed' && rev.state.output === 'fine');
  });

  it('a task passes earlier outputs, and a failed step reaches the next as an unavailable marker', async () => {
    // A final failure (a bad request); a transient one interrupts the task instead (test/unit/runs).
    const { rt, gateway } = makeRuntime(YAML, { dev: [{ text: 'BUILT' }, { text: 'summary' }], rev: [new ProviderError('bad_request', 'busy')] });
    const r = await new Orchestrator(rt).runTask('ship', undefined, signal());
    assert.equal(r.status, 'failed');
    assert.equal(r.steps.length, 3);
    const reviewReq = must(must(gateway.requests[1], 'gateway.requests[1]').request.messages[0], 'reviewReq');
    assert.ok(reviewReq.role === 'user' && reviewReq.text.includes('BUILT'));
    const last = must(must(gateway.requests[2], 'gateway.requests[2]').request.messages[0], 'last');
    assert.ok(last.role === 'user');
    assert.match(last.text, /\[unavailable from rev: .*busy/);
  });

  it('delegate runs a child, counts its cost, refuses cycles', async () => {
    const { rt } = makeRuntime(YAML, {
      dev: [{ calls: [{ id: 'd1', name: 'delegate', args: { agent: 'rev', prompt: 'check' } }] }, { text: 'all good' }],
      rev: [{ calls: [{ id: 'd2', name: 'delegate', args: { agent: 'dev', prompt: 'loop back' } }] }, { text: 'checked' }],
    });
    const s = await new AgentRunner(rt).start({ agent: 'dev', prompt: 'x' }, signal());
    assert.equal(s.status, 'completed');
    assert.equal(must(s.toolCalls[0], 's.toolCalls[0]').status, 'ok');
    assert.equal(must(s.toolCalls[0], 's.toolCalls[0]').output, 'checked');
    const child = rt.store.state(rt.store.childRunId(s.runId, 'd1'));
    assert.equal(must(child.toolCalls[0], 'child.toolCalls[0]').status, 'blocked');
    assert.match(must(child.toolCalls[0], 'child.toolCalls[0]').error ?? '', /cycle refused: dev → rev → dev/);
    assert.ok(Math.abs(s.costUsd - (0.002 + child.costUsd)) < 1e-9);
  });

  it('delegate depth is limited', async () => {
    const yaml = `agents:\n  a: { tools: [delegate], delegates: [b] }\n  b: { tools: [delegate], delegates: [c] }\n  c: { tools: [delegate] }\n`;
    const { rt } = makeRuntime(yaml, {
      a: [{ calls: [{ id: 'x', name: 'delegate', args: { agent: 'b', prompt: 'p' } }] }, { text: 'a done' }],
      b: [{ calls: [{ id: 'y', name: 'delegate', args: { agent: 'c', prompt: 'p' } }] }, { text: 'b done' }],
    }, { maxDelegateDepth: 1 });
    const s = await new AgentRunner(rt).start({ agent: 'a', prompt: 'x' }, signal());
    assert.equal(s.status, 'completed');
    const b = rt.store.state(rt.store.childRunId(s.runId, 'x'));
    assert.match(must(b.toolCalls[0], 'b.toolCalls[0]').error ?? '', /depth limit \(1\)/);
  });
});

describe('resume warnings', () => {
  it('says when the config changed since the run started', async () => {
    const { rt } = makeRuntime(YAML, { dev: [{ calls: [{ id: 'c1', name: 'write', args: { path: 'a', content: 'b' } }] }] });
    const paused = await new AgentRunner(rt).start({ agent: 'dev', prompt: 'x' }, signal());
    const warnings: string[] = [];
    await new AgentRunner({ ...rt, configHash: () => 'changed', onWarning: (_id, m) => warnings.push(m) }).resume(paused.runId, signal());
    assert.equal(warnings.length, 1);
    assert.match(must(warnings[0], 'warnings[0]'), /agents file changed/);
  });
});
