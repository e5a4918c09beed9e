import * as assert from 'node:assert/strict';
import type { Breakwater, OperationHandle } from '../../../src/core/breakwater';
import type { FakeLlm } from '../../fixtures/fake-llm/index';
import { openCore } from '../../fixtures/fake-llm/openCore';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';

/** Everything one handle streamed: events by run, and text by run. */
function recorded(handle: OperationHandle<unknown>) {
  const events: { runId: string; type: string }[] = [];
  const text = new Map<string, string>();
  handle.onEvent(({ runId, event }) => events.push({ runId, type: event.type }));
  handle.onText(({ runId, delta }) => text.set(runId, (text.get(runId) ?? '') + delta));
  return { events, text, runs: () => new Set(events.map((e) => e.runId)) };
}

const open = (llm: FakeLlm, yaml: string) => openCore(llm, yaml, { prefix: 'bw-handles-', store: 'store' });

describe('operation handles: each operation streams its own runs only', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let bw: Breakwater | undefined;
  afterEach(() => bw?.dispose());

  it('two concurrent asks of the same agent each get their own run, events and text', async () => {
    ({ bw } = await open(llm, 'agents:\n  main: { provider: anthropic }\n'));
    // Slow enough that both streams are open at once.
    llm.enqueue({ kind: 'reply', text: 'first answer, streamed slowly', tokenDelayMs: 10, chunkSize: 3 }, { kind: 'reply', text: 'second answer, streamed slowly', tokenDelayMs: 10, chunkSize: 3 });
    const one = bw.ask('main', 'one');
    const two = bw.ask('main', 'two');
    const [r1, r2] = [recorded(one), recorded(two)];
    const [s1, s2] = await Promise.all([one, two]);
    assert.notEqual(s1.runId, s2.runId);
    assert.equal(await one.runId, s1.runId);
    assert.equal(await two.runId, s2.runId);
    assert.deepEqual([...r1.runs()], [s1.runId]);
    assert.deepEqual([...r2.runs()], [s2.runId]);
    assert.equal(r1.events[0]?.type, 'run_started');
    assert.equal(r1.events.at(-1)?.type, 'run_completed');
    assert.equal(r2.events.at(-1)?.type, 'run_completed');
    // Each handle's text is exactly its own run's answer, whichever request the server answered first.
    assert.equal(r1.text.get(s1.runId), s1.output);
    assert.equal(r2.text.get(s2.runId), s2.output);
    assert.deepEqual(new Set([s1.output, s2.output]), new Set(['first answer, streamed slowly', 'second answer, streamed slowly']));
  });

  it("a delegate's run streams on the handle of the operation that delegated, not on a concurrent one", async () => {
    ({ bw } = await open(llm, 'agents:\n  lead: { provider: anthropic, delegates: [helper] }\n  helper: { provider: openai, model: gpt-4o-mini }\n  other: { provider: openai, model: gpt-4o-mini }\n'));
    llm.enqueueFor('anthropic', { kind: 'reply', toolCalls: [{ name: 'delegate', args: { agent: 'helper', prompt: 'help me' } }] }, { kind: 'reply', text: 'lead done' });
    llm.enqueueFor('openai', { kind: 'reply', text: 'helper says hi', tokenDelayMs: 5 }, { kind: 'reply', text: 'other says hi', tokenDelayMs: 5 });
    const lead = bw.ask('lead', 'go');
    const rl = recorded(lead);
    const leadState = await lead;
    const other = bw.ask('other', 'hello');
    const ro = recorded(other);
    const otherState = await other;
    assert.equal(leadState.output, 'lead done');
    const leadRuns = rl.runs();
    assert.equal(leadRuns.size, 2, 'the lead run and its delegate run');
    const child = [...leadRuns].find((id) => id !== leadState.runId);
    assert.ok(child);
    assert.equal(bw.state(child).agent, 'helper');
    assert.equal(rl.text.get(child), 'helper says hi');
    assert.deepEqual([...ro.runs()], [otherState.runId]);
    assert.ok(!leadRuns.has(otherState.runId));
  });

  it("a task's steps stream on the task's handle; an ask during the task streams on its own", async () => {
    ({ bw } = await open(llm, 'agents:\n  writer: { provider: anthropic }\n  chat: { provider: openai, model: gpt-4o-mini }\ntasks:\n  t:\n    description: one slow step\n    steps:\n      - { agent: writer, prompt: write it }\n'));
    llm.enqueueFor('anthropic', { kind: 'reply', text: 'the task step answer, held for a while', tokenDelayMs: 40, chunkSize: 2 });
    llm.enqueueFor('openai', { kind: 'reply', text: 'chat answer' });
    const task = bw.runTask('t');
    const rt = recorded(task);
    let streaming!: () => void;
    const started = new Promise<void>((resolve) => (streaming = resolve));
    task.onText(() => streaming());
    await started;
    const chat = bw.ask('chat', 'a question');
    const rc = recorded(chat);
    let taskDone = false;
    void task.then(() => (taskDone = true));
    const chatState = await chat;
    assert.equal(taskDone, false, 'the chat answered while the task was still streaming');
    const result = await task;
    assert.equal(result.status, 'completed');
    const taskRunId = await task.runId;
    assert.equal(taskRunId, result.taskRunId);
    const stepRun = result.steps[0]?.kind === 'run' ? result.steps[0].state.runId : undefined;
    assert.ok(stepRun);
    assert.deepEqual(rt.runs(), new Set([taskRunId, stepRun]));
    assert.equal(rt.text.get(stepRun), 'the task step answer, held for a while');
    assert.ok(![...rt.text.values()].some((t) => t.includes('chat answer')), 'no chat text in the task');
    assert.deepEqual([...rc.runs()], [chatState.runId]);
    assert.equal(rc.text.get(chatState.runId), 'chat answer');
    assert.deepEqual(
      rc.events.map((e) => e.type),
      ['run_started', 'llm_call_started', 'llm_call_completed', 'assistant_message', 'run_completed'],
    );
  });

  it('runId rejects like the result when the operation could not start a run; cancel() stops it', async () => {
    ({ bw } = await open(llm, 'agents:\n  main: { provider: anthropic }\n'));
    const bad = bw.ask('nobody', 'hi');
    await assert.rejects(bad.runId, /no agent named "nobody"/);
    await assert.rejects(bad, /no agent named "nobody"/);
    llm.enqueue({ kind: 'stall_after_text', afterText: 'thinking' });
    const slow = bw.ask('main', 'hi');
    slow.onText(() => slow.cancel(new Error('Stopped by the user')));
    const state = await slow;
    assert.equal(state.status, 'interrupted');
    assert.equal(state.runId, await slow.runId);
  });
});
