import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { testStoreOf } from '../fixtures/stateHome';
import { eventsOf, makeWorkspace, runCliProcess } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * kill -9 a real CLI process in the middle of a TASK, then continue it with `--resume TASK_RUN` in a
 * new process: a finished step is never run again, and a step whose run had started is resumed.
 */
const AGENTS = `
agents:
  a: { provider: anthropic, model: sonnet, tools: [bash] }
  b: { provider: anthropic, model: sonnet, tools: [read] }
tasks:
  t:
    steps:
      - { agent: a, prompt: PLAN-STEP }
      - { agent: b, prompt: REPORT-STEP }
`;

interface TaskJson {
  task: string;
  status: string;
  steps: { run_id: string; agent: string; status: string; output: string; pending_approvals: { call_id: string }[] }[];
}

describe('crash tests: SIGKILL the CLI mid-task, resume the task in a new process', function () {
  this.timeout(120_000);
  const llm = useFakeLlm();

  const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, ...extra });
  const lines = (ws: string) => (fs.existsSync(path.join(ws, 'lines.txt')) ? fs.readFileSync(path.join(ws, 'lines.txt'), 'utf8').split('\n').filter(Boolean) : []);
  /** Requests that START step 1's run: its prompt is the only message. */
  const step1Starts = () => llm.requests.filter((r) => JSON.stringify(r.body).includes('PLAN-STEP') && (r.body as { messages: unknown[] }).messages.length === 1).length;
  const taskRunOf = (ws: string) => {
    const ids = fs.readdirSync(testStoreOf(ws)).filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length));
    const tasks = ids.filter((id) => eventsOf(ws, id)[0]?.type === 'task_started');
    assert.equal(tasks.length, 1, `one task run among ${ids.join(', ')}`);
    return { taskRun: must(tasks[0], 'the task run'), runs: ids.length };
  };
  const appendOnce = () =>
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'k1', name: 'bash', args: { command: 'echo one >> lines.txt' } }] }, { kind: 'reply', text: 'A-OUT' }, { kind: 'reply', text: 'B-OUT' });

  for (const crashAt of ['task_step_finished', 'run_completed'] as const) {
    it(`killed right after ${crashAt} of step 1: --resume TASK_RUN finishes without repeating step 1`, async () => {
      const ws = makeWorkspace(AGENTS);
      appendOnce();
      const first = await runCliProcess(['--task', 't', '--yes', '--json'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: crashAt }) });
      assert.equal(first.signal, 'SIGKILL', first.stderr);
      assert.deepEqual(lines(ws), ['one']);
      const { taskRun } = taskRunOf(ws);
      const before = eventsOf(ws, taskRun);
      assert.equal(before.some((e) => e.type === 'task_step_started' && e.payload.index === 1), false, 'step 2 had not started');

      const resumed = await runCliProcess(['--resume', taskRun, '--json'], { cwd: ws, env: env() });
      assert.equal(resumed.code, 0, resumed.stderr);
      const json = resumed.json<TaskJson>();
      assert.deepEqual(Object.keys(json), ['task', 'status', 'steps']);
      assert.equal(json.status, 'completed');
      assert.deepEqual(json.steps.map((s) => [s.agent, s.status, s.output]), [['a', 'completed', 'A-OUT'], ['b', 'completed', 'B-OUT']]);
      assert.deepEqual(lines(ws), ['one'], 'the side effect happened once');
      assert.equal(step1Starts(), 1, 'step 1 was started once');
      assert.match(JSON.stringify(llm.requests.at(-1)?.body), /A-OUT/);
      const after = eventsOf(ws, taskRun);
      assert.deepEqual(after.slice(0, before.length), before, 'no recorded event lost or changed');
      assert.deepEqual(after.map((e) => e.seq), after.map((_, i) => i));
      assert.equal(taskRunOf(ws).runs, 3, 'one task run and one run per step');
    });
  }

  it('killed inside step 1 after its bash call started: the step run is resumed (asked again), not restarted', async () => {
    const ws = makeWorkspace(AGENTS);
    appendOnce();
    const first = await runCliProcess(['--task', 't', '--yes', '--json'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'tool_call_started' }) });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const { taskRun } = taskRunOf(ws);

    // --yes never covers a call that may already have run: the task waits on a human.
    const waiting = await runCliProcess(['--resume', taskRun, '--yes', '--json'], { cwd: ws, env: env() });
    assert.equal(waiting.code, 3, waiting.stderr);
    const json = waiting.json<TaskJson>();
    assert.equal(json.status, 'waiting_on_human');
    assert.deepEqual(must(json.steps[0], 'json.steps[0]').pending_approvals.map((p) => p.call_id), ['k1']);
    assert.match(waiting.stderr, /may already have run/);
    assert.deepEqual(lines(ws), []);

    // A call that may already have run is ask-every-time: --approve without --call leaves it waiting.
    const blanket = await runCliProcess(['--approve', taskRun, '--json'], { cwd: ws, env: env() });
    assert.equal(blanket.code, 3, blanket.stderr);
    assert.match(blanket.stderr, /--approve \S+ --call k1/);
    assert.deepEqual(lines(ws), []);
    const approved = await runCliProcess(['--approve', taskRun, '--call', 'k1', '--json'], { cwd: ws, env: env() });
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.json<TaskJson>().status, 'completed');
    assert.deepEqual(lines(ws), ['one']);
    assert.equal(step1Starts(), 1, 'the step run was resumed, not started again');
    assert.equal(taskRunOf(ws).runs, 3);
  });
});
