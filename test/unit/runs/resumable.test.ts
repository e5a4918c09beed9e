import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { failureKindOf } from '../../../src/core/agents/failureKind';
import { createBreakwater, isNothingPendingError, type Breakwater } from '../../../src/core/breakwater';
import { ConfigError } from '../../../src/core/config/configError';
import { BudgetExceededError } from '../../../src/core/cost/budget';
import { ProviderError } from '../../../src/core/providers/errors';
import { CircuitOpenError } from '../../../src/core/resilience/errors';
import { FallbackUnavailableError } from '../../../src/core/resilience/fallback';
import { fold } from '../../../src/core/runs/fold';
import { exitCodeOf, outcomeOf } from '../../../src/core/runs/outcome';
import { CRASHED_MESSAGE, type RunPhase } from '../../../src/core/runs/runPhase';
import { replayRunLog } from '../../../src/core/runs/runLog';
import { FakeEngine, FakeGateway, openTestBreakwater, type Scripted } from '../agents/fakes';
import { must } from '../../fixtures/must';

/**
 * Every stopped run can be continued: a transient failure, a cancel or a crash leaves the run
 * `interrupted`, and `resume` continues it from its log — nothing finished runs again.
 */
const YAML = `
agents:
  dev: { tools: [bash] }
  cached:
    tools: []
    fallback: { strategy: cache }
  a: { tools: [read] }
  b: { tools: [bash] }
  c: { tools: [read] }
tasks:
  t:
    steps:
      - { agent: a, prompt: plan }
      - { agent: b, prompt: act }
      - { agent: c, prompt: report }
`;

const bash = (id = 'k1', command = 'echo hi'): Scripted => ({ calls: [{ id, name: 'bash', args: { command } }] });
const grantAll = async () => ({ kind: 'grant' as const, by: 'user' as const });

async function open(scripts: Record<string, Scripted[]>, extra: Parameters<typeof openTestBreakwater>[2] = {}) {
  const t = await openTestBreakwater(YAML, scripts, extra);
  const requestsOf = (agent: string) => t.gateway.requests.filter((r) => r.options.agentName === agent);
  const bashLines = () => (fs.existsSync(path.join(t.root, 'bash.log')) ? fs.readFileSync(path.join(t.root, 'bash.log'), 'utf8').split('\n').filter(Boolean) : []);
  return { ...t, requestsOf, bashLines };
}

describe('resumable stops: interrupted runs and tasks continue from their log', () => {
  it('a transient failure interrupts the run (typed kind); resume sends the same conversation and completes', async () => {
    const { bw, requestsOf, bashLines } = await open({ dev: [bash(), new ProviderError('overloaded', 'busy, try later'), { text: 'all done' }] }, { approver: grantAll });
    const stopped = await bw.ask('dev', 'run it');
    assert.ok(stopped.status === 'interrupted' && stopped.interruption.kind === 'failure', stopped.status);
    assert.equal(stopped.interruption.failure.kind, 'overloaded');
    assert.match(stopped.error, /busy, try later/);
    assert.deepEqual(bw.listRuns().map((r) => r.status), ['interrupted']);
    const done = await bw.resume(stopped.runId);
    assert.equal(done.status, 'completed');
    assert.equal(done.output, 'all done');
    const requests = requestsOf('dev');
    const failed = must(requests[1], 'request #2');
    const resumed = must(requests[2], 'request #3');
    assert.deepEqual(resumed.request.messages, failed.request.messages, 'the conversation from the log, unchanged');
    assert.deepEqual(bashLines(), ['echo hi'], 'the finished call did not run again');
    bw.dispose();
  });

  it('fallback exhausted: the run stops for the provider\'s (typed, transient) reason, not as an internal error', async () => {
    const { bw } = await open({ cached: [new ProviderError('server', 'down'), { text: 'back' }] });
    const stopped = await bw.ask('cached', 'hello');
    assert.ok(stopped.status === 'interrupted' && stopped.interruption.kind === 'failure', JSON.stringify(stopped.status));
    assert.equal(stopped.interruption.failure.kind, 'server');
    assert.match(stopped.error, /cache fallback could not answer either/);
    assert.equal((await bw.resume(stopped.runId)).status, 'completed');
    bw.dispose();
  });

  it('a completed answer is remembered for the cache fallback once the operation ends', async () => {
    const { bw } = await open({ cached: [{ text: 'first answer' }, new ProviderError('server', 'down')] });
    assert.equal((await bw.ask('cached', 'same question')).status, 'completed');
    const again = await bw.ask('cached', 'same question');
    assert.equal(again.status, 'completed');
    assert.match(again.output, /first answer/);
    bw.dispose();
  });

  it('cancelled while a bash call ran: interrupted; the resume asks again because it may already have run', async () => {
    const ctl = new AbortController();
    // The user approves, then presses Stop while the command runs.
    const approver = async () => {
      ctl.abort(new Error('Stopped'));
      return { kind: 'grant' as const, by: 'user' as const };
    };
    const { bw, bashLines } = await open({ dev: [bash(), { text: 'done' }] }, { approver });
    const stopped = await bw.ask('dev', 'run it', { signal: ctl.signal });
    assert.ok(stopped.status === 'interrupted' && stopped.interruption.kind === 'cancelled');
    assert.equal(stopped.error, 'Stopped');
    assert.deepEqual(bashLines(), ['echo hi']);
    const { bw: again } = await reopen(bw);
    const asked = await again.resume(stopped.runId);
    assert.equal(asked.status, 'waiting_on_human');
    assert.deepEqual(asked.pendingApprovals.map((p) => [p.callId, p.mayHaveRun]), [['k1', true]]);
    assert.deepEqual(bashLines(), ['echo hi'], 'not run again by itself');
    bw.dispose();
    again.dispose();
  });

  it('a task stopped by a transient failure in step 2 is interrupted; resuming it continues step 2, never re-runs step 1', async () => {
    const { bw, requestsOf } = await open({ a: [{ text: 'A-OUT' }], b: [new ProviderError('rate_limited', 'slow down'), { text: 'B-OUT' }], c: [{ text: 'C-OUT' }] });
    const stopped = await bw.runTask('t');
    assert.ok(stopped.status === 'interrupted' && stopped.interruption.kind === 'failure', stopped.status);
    assert.equal(stopped.interruption.failure.kind, 'rate_limited');
    assert.equal(requestsOf('c').length, 0, 'no later step ran on a marker');
    const task = bw.listRuns().find((r) => r.kind === 'task');
    assert.equal(task?.status, 'interrupted');
    const done = await bw.resumeTask(stopped.taskRunId);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.steps.map((s) => (s.kind === 'run' ? s.state.output : s.error)), ['A-OUT', 'B-OUT', 'C-OUT']);
    assert.equal(requestsOf('a').length, 1);
    assert.equal(requestsOf('b').length, 2);
    bw.dispose();
  });

  it('a cancelled task is interrupted; resume (of the task or of its step run) continues it', async () => {
    const ctl = new AbortController();
    const { bw, requestsOf } = await open({ a: [{ text: 'A-OUT' }], b: [{ text: 'B-OUT' }], c: [{ text: 'C-OUT' }] });
    const task = bw.runTask('t', undefined, { signal: ctl.signal });
    task.onEvent(({ event }) => {
      if (event.type === 'task_step_started' && event.payload.index === 1) ctl.abort(new Error('Cancelled'));
    });
    const stopped = await task;
    assert.ok(stopped.status === 'interrupted' && stopped.interruption.kind === 'cancelled', stopped.status);
    const stepRun = stopped.steps[1]?.kind === 'run' ? stopped.steps[1].state.runId : undefined;
    assert.ok(stepRun);
    const resumed = await bw.resume(stepRun);
    assert.equal(resumed.status, 'completed');
    assert.equal(bw.taskResult(stopped.taskRunId).status, 'completed');
    assert.equal(requestsOf('a').length, 1);
    assert.equal(requestsOf('c').length, 1);
    bw.dispose();
  });

  it('a decision for a call that already finished changes nothing (a racing --deny after the call ran)', async () => {
    const { bw } = await open({ dev: [bash(), { text: 'done' }] }, { approver: grantAll });
    const s = await bw.ask('dev', 'run it');
    const file = bw.layout.runLog(s.runId);
    const events = replayRunLog(file).events;
    const late = [
      { seq: events.length, time: 1, type: 'approval_denied', payload: { call_id: 'k1', by: 'user', reason: 'too late' } },
      { seq: events.length + 1, time: 1, type: 'approval_granted', payload: { call_id: 'k1', by: 'user' } },
    ];
    fs.appendFileSync(file, late.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const after = fold(replayRunLog(file).events);
    assert.equal(must(after.toolCalls[0], 'after.toolCalls[0]').status, 'ok');
    assert.equal(must(after.toolCalls[0], 'after.toolCalls[0]').approval, 'granted');
    assert.deepEqual(after.pendingApprovals, []);
    await assert.rejects(bw.deny(s.runId, 'k1'), isNothingPendingError);
    bw.dispose();
  });
});

describe('failure kinds and the one outcome mapping', () => {
  it('failure kinds come from the error classes, never from a message', () => {
    assert.equal(failureKindOf(new ProviderError('timeout', 'x')), 'timeout');
    assert.equal(failureKindOf(new CircuitOpenError('anthropic@x', 'open', 0, 0)), 'breaker_open');
    assert.equal(failureKindOf(new BudgetExceededError('workspace', undefined, 1, 1, 1, 'est')), 'budget');
    assert.equal(failureKindOf(new ConfigError('a.yaml', [{ path: 'agents', message: 'bad' }])), 'config');
    assert.equal(failureKindOf(new FallbackUnavailableError('cache', 'no_cached_answer', 'no', new ProviderError('overloaded', 'x'))), 'overloaded');
    const lookalike = new Error('the budget is fine; auth worked; a server said hi');
    lookalike.name = 'BudgetLikeError';
    assert.equal(failureKindOf(lookalike), 'unknown');
  });

  const phases: [string, RunPhase, string, string, boolean, number][] = [
    ['completed', { status: 'completed' }, 'completed', 'completed', false, 0],
    ['waiting', { status: 'waiting_on_human' }, 'waiting_on_human', 'waiting_on_human', true, 3],
    ['crashed', { status: 'interrupted', interruption: { kind: 'crashed' }, error: CRASHED_MESSAGE }, 'failed', 'interrupted', true, 1],
    ['cancelled', { status: 'interrupted', interruption: { kind: 'cancelled', reason: 'Ctrl-C' }, error: 'Ctrl-C' }, 'failed', 'interrupted', true, 130],
    ['transient', { status: 'interrupted', interruption: { kind: 'failure', failure: { kind: 'overloaded', message: 'busy' } }, error: 'busy' }, 'failed', 'interrupted', true, 1],
    ['failed', { status: 'failed', failure: { kind: 'max_turns', message: 'too long' }, error: 'too long' }, 'failed', 'failed', false, 1],
    ['running elsewhere', { status: 'running' }, 'failed', 'failed', false, 1],
  ];
  for (const [name, phase, status, shown, resumable, exit] of phases) {
    it(`${name}: --json status ${status}, shown ${shown}, exit ${exit}`, () => {
      const o = outcomeOf(phase);
      assert.deepEqual([o.status, o.shown, o.resumable, exitCodeOf(o)], [status, shown, resumable, exit]);
      if (phase.status === 'interrupted' && phase.interruption.kind === 'failure') assert.equal(o.failureKind, 'overloaded');
    });
  }
});

/** The same store and config in a new core without an approver (as another process would open it). */
async function reopen(bw: Breakwater): Promise<{ bw: Breakwater }> {
  const storeDir = bw.layout.root;
  const root = path.resolve(storeDir, '..', '..');
  const configFile = path.join(root, 'agents.yaml');
  const again = await createBreakwater({ workspaceFolders: [root], storeDir, configFile, secrets: { getApiKey: async () => ({ kind: 'none' as const }) }, trusted: true, ripgrepPath: 'rg', gateway: new FakeGateway({ dev: [{ text: 'done' }] }), toolEngine: new FakeEngine(root) });
  return { bw: again };
}
