import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TaskResult } from '../../../src/core/breakwater';
import type { RunEvent } from '../../../src/core/runs/events';
import { openTestBreakwater, type Scripted } from './fakes';
import { must } from '../../fixtures/must';

/**
 * A task is a durable run of its own: a step waiting on a human pauses the TASK, and approving,
 * denying or resuming continues it without running a finished step again.
 */
const YAML = `
agents:
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

const bashStep = (command = 'echo b'): Scripted => ({ calls: [{ id: 'k1', name: 'bash', args: { command } }] });

async function open(scripts: Record<string, Scripted[]>, crashAt?: { type: RunEvent['type'] }) {
  const crash = { armed: crashAt !== undefined };
  const { bw, root, gateway, engine } = await openTestBreakwater(YAML, scripts, {
    // Stands in for a kill -9: the event is durable, then the process "dies" (the operation throws).
    onDurable: (event, stage) => {
      if (crash.armed && stage === 'after' && event.type === crashAt?.type) {
        crash.armed = false;
        throw new Error('simulated crash');
      }
    },
  });
  const requestsOf = (agent: string) => gateway.requests.filter((r) => r.options.agentName === agent);
  const bashLines = () => (fs.existsSync(path.join(root, 'bash.log')) ? fs.readFileSync(path.join(root, 'bash.log'), 'utf8').split('\n').filter(Boolean) : []);
  return { bw, root, engine, requestsOf, bashLines };
}

const statuses = (r: TaskResult) => r.steps.map((s) => (s.kind === 'run' ? s.state.status : 'error'));
const userText = (req: { request: { messages: readonly { role: string; text?: string }[] } }) => req.request.messages[0]?.text ?? '';

describe('durable tasks', () => {
  it('a step that needs approval pauses the task; approving the step run finishes it with step 1 run once', async () => {
    const { bw, requestsOf, bashLines } = await open({ a: [{ text: 'A-OUT' }], b: [bashStep(), { text: 'B-OUT' }], c: [{ text: 'C-OUT' }] });
    const paused = await bw.runTask('t');
    assert.equal(paused.status, 'waiting_on_human');
    assert.deepEqual(statuses(paused), ['completed', 'waiting_on_human']);
    const stepRun = paused.steps[1]?.kind === 'run' ? paused.steps[1].state.runId : '';
    assert.equal(bw.taskRunOf(stepRun), paused.taskRunId);
    assert.deepEqual(bw.pendingApprovals(paused.taskRunId).map((p) => [p.runId, p.approval.callId]), [[stepRun, 'k1']]);
    assert.deepEqual(bashLines(), []);

    const step = await bw.approve(stepRun);
    assert.equal(step.status, 'completed');
    const done = bw.taskResult(paused.taskRunId);
    assert.equal(done.status, 'completed');
    assert.deepEqual(statuses(done), ['completed', 'completed', 'completed']);
    assert.equal(requestsOf('a').length, 1, 'step 1 is never asked again');
    assert.deepEqual(bashLines(), ['echo b']);
    assert.match(userText(must(requestsOf('c')[0], `requestsOf('c')[0]`)), /## Output from a\n\nA-OUT[\s\S]*## Output from b\n\nB-OUT/);
    // The steps' runs say which task run they belong to.
    assert.ok(done.steps.every((s) => s.kind === 'run' && s.state.taskRunId === paused.taskRunId));
    bw.dispose();
  });

  it('approving the TASK run approves its paused step and continues', async () => {
    const { bw, requestsOf, bashLines } = await open({ a: [{ text: 'A-OUT' }], b: [bashStep(), { text: 'B-OUT' }], c: [{ text: 'C-OUT' }] });
    const paused = await bw.runTask('t', 'be brief');
    await bw.approve(paused.taskRunId, 'k1');
    const done = bw.taskResult(paused.taskRunId);
    assert.equal(done.status, 'completed');
    assert.equal(requestsOf('a').length, 1);
    assert.deepEqual(bashLines(), ['echo b']);
    // The task's extra prompt reaches every step, the ones after the pause too.
    assert.match(userText(must(requestsOf('c')[0], `requestsOf('c')[0]`)), /report\n\nbe brief$/);
    await assert.rejects(bw.approve(paused.taskRunId), /no pending approvals \(status: completed\)/);
    bw.dispose();
  });

  it('denying fails the step (the model is not asked again) and the next step gets the CascadeGuard marker', async () => {
    const { bw, requestsOf, bashLines } = await open({ a: [{ text: 'A-OUT' }], b: [bashStep()], c: [{ text: 'C-OUT' }] });
    const paused = await bw.runTask('t');
    const step = await bw.deny(paused.taskRunId, undefined, 'not today');
    assert.equal(step.status, 'failed');
    assert.equal(must(step.toolCalls[0], 'step.toolCalls[0]').status, 'denied');
    assert.equal(requestsOf('b').length, 1);
    const done = bw.taskResult(paused.taskRunId);
    assert.equal(done.status, 'failed');
    assert.deepEqual(statuses(done), ['completed', 'failed', 'completed']);
    assert.match(userText(must(requestsOf('c')[0], `requestsOf('c')[0]`)), /\[unavailable from b: the user denied bash echo b \(not today\)\]/);
    assert.doesNotMatch(userText(must(requestsOf('c')[0], `requestsOf('c')[0]`)), /## Output from b\n\n(?!\[unavailable)/);
    assert.deepEqual(bashLines(), []);
    bw.dispose();
  });

  it('a resume without anyone to approve keeps the task paused and runs nothing again', async () => {
    const { bw, requestsOf, engine } = await open({ a: [{ text: 'A-OUT' }], b: [bashStep()] });
    const paused = await bw.runTask('t');
    const again = await bw.resumeTask(paused.taskRunId);
    assert.equal(again.status, 'waiting_on_human');
    assert.equal(requestsOf('a').length, 1);
    assert.equal(requestsOf('b').length, 1);
    assert.equal(engine.executed.length, 0);
    bw.dispose();
  });

  // (Inside a step's run a throw is the run's own failure; the real kill -9 there is in test/crash.)
  for (const crashAt of ['task_step_finished', 'task_step_started'] as const) {
    it(`cut short right after ${crashAt}: resuming the task finishes it without repeating a finished step`, async () => {
      const { bw, requestsOf } = await open({ a: [{ text: 'A-OUT' }], b: [{ text: 'B-OUT' }], c: [{ text: 'C-OUT' }] }, { type: crashAt });
      await assert.rejects(bw.runTask('t'), /simulated crash/);
      const tasks = bw.listRuns().filter((r) => r.kind === 'task');
      const task = must(tasks[0], 'task run #1');
      assert.equal(task.agent, 'task:t');
      // Nobody drives it any more: listed as interrupted (crashed), not `running` for ever.
      assert.equal(task.status, 'interrupted');
      const done = await bw.resumeTask(task.runId);
      assert.equal(done.status, 'completed');
      assert.deepEqual(statuses(done), ['completed', 'completed', 'completed']);
      assert.equal(requestsOf('a').length, 1);
      assert.equal(requestsOf('b').length, 1);
      assert.equal(requestsOf('c').length, 1);
      assert.match(userText(must(requestsOf('b')[0], `requestsOf('b')[0]`)), /A-OUT/);
      // One run per step, however the task was interrupted.
      assert.equal(bw.listRuns().filter((r) => r.taskRunId === task.runId).length, 3);
      bw.dispose();
    });
  }

  it('a failed step quarantines its agent: a later step sees the marker, not partial output', async () => {
    const { bw, requestsOf } = await open({ a: [{ text: 'A-OUT' }], b: [new Error('b broke')], c: [{ text: 'C-OUT' }] });
    const r = await bw.runTask('t');
    assert.equal(r.status, 'failed');
    assert.match(userText(must(requestsOf('c')[0], `requestsOf('c')[0]`)), /\[unavailable from b: .*b broke\]/);
    bw.dispose();
  });

  it('a task run is not an agent run: state() says so', async () => {
    const { bw } = await open({ a: [{ text: 'A' }], b: [{ text: 'B' }], c: [{ text: 'C' }] });
    const r = await bw.runTask('t');
    assert.throws(() => bw.state(r.taskRunId), /is a task run, not an agent run/);
    assert.equal(bw.taskRunOf('r-20250101-000000-abcdef'), undefined);
    bw.dispose();
  });
});
