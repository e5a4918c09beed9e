import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCliInProcess } from './runCliInProcess';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { must } from '../../fixtures/must';

const YAML = `settings:\n  max_retries: 0\nagents:\n  a: { provider: anthropic, tools: [read] }\n  b: { provider: anthropic, tools: [bash] }\n  c: { provider: anthropic, tools: [read] }\ntasks:\n  t:\n    steps:\n      - { agent: a, prompt: PLAN-STEP }\n      - { agent: b, prompt: ACT-STEP }\n      - { agent: c, prompt: REPORT-STEP }\n`;
const RUN_KEYS = ['run_id', 'agent', 'status', 'output', 'usage', 'cost_usd', 'tool_calls', 'pending_approvals'];

interface TaskJson {
  task: string;
  status: string;
  steps: { run_id: string; agent: string; status: string; output: string; pending_approvals: { call_id: string }[]; tool_calls: { id: string; status: string }[]; error?: string }[];
}

describe('CLI: durable tasks (in process, real core, fake LLM server)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();

  function workspace(): string {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-clitask-')));
    fs.mkdirSync(path.join(dir, '.breakwater'));
    fs.writeFileSync(path.join(dir, '.breakwater', 'agents.yaml'), YAML);
    return dir;
  }
  const cli = (args: string[], cwd: string) => runCliInProcess(args, cwd, { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, PATH: process.env.PATH });
  const lines = (ws: string) => (fs.existsSync(path.join(ws, 'lines.txt')) ? fs.readFileSync(path.join(ws, 'lines.txt'), 'utf8').split('\n').filter(Boolean) : []);
  const requestsWith = (text: string) => llm.requests.filter((r) => JSON.stringify(r.body).includes(text));
  const enqueuePausingTask = () =>
    llm.enqueue({ kind: 'reply', text: 'A-OUT' }, { kind: 'reply', toolCalls: [{ id: 'k1', name: 'bash', args: { command: 'echo one >> lines.txt' } }] });

  async function pausedTask(ws: string) {
    enqueuePausingTask();
    const r = await cli(['--task', 't', '--json'], ws);
    assert.equal(r.code, 3, r.err);
    const json = r.json<TaskJson>();
    assert.deepEqual(Object.keys(json), ['task', 'status', 'steps']);
    assert.equal(json.status, 'waiting_on_human');
    assert.deepEqual(json.steps.map((s) => s.status), ['completed', 'waiting_on_human']);
    assert.deepEqual(Object.keys(must(json.steps[1], 'json.steps[1]')), RUN_KEYS);
    assert.deepEqual(must(json.steps[1], 'json.steps[1]').pending_approvals.map((p) => p.call_id), ['k1']);
    const runs = (await cli(['--runs', '--json'], ws)).json<{ runs: { run_id: string; agent: string; status: string }[] }>().runs;
    const task = runs.find((x) => x.agent === 'task:t');
    assert.ok(task, `the task run is listed: ${JSON.stringify(runs)}`);
    assert.deepEqual(Object.keys(task).slice(0, 5), ['run_id', 'agent', 'status', 'started_at', 'updated_at']);
    assert.equal(task.status, 'waiting_on_human');
    assert.match(r.err, new RegExp(`--approve ${task.run_id}`));
    return { json, taskRun: task.run_id, stepRun: must(json.steps[1], 'json.steps[1]').run_id };
  }

  it('--approve STEP_RUN finishes the task: step 1 asked once, the side effect once, exit 0', async () => {
    const ws = workspace();
    const { stepRun } = await pausedTask(ws);
    assert.deepEqual(lines(ws), []);
    llm.enqueue({ kind: 'reply', text: 'B-OUT' }, { kind: 'reply', text: 'C-OUT' });
    const r = await cli(['--approve', stepRun, '--json'], ws);
    assert.equal(r.code, 0, r.err);
    const json = r.json<TaskJson>();
    assert.deepEqual(Object.keys(json), ['task', 'status', 'steps']);
    assert.equal(json.status, 'completed');
    assert.deepEqual(json.steps.map((s) => [s.agent, s.status, s.output]), [['a', 'completed', 'A-OUT'], ['b', 'completed', 'B-OUT'], ['c', 'completed', 'C-OUT']]);
    assert.equal(requestsWith('PLAN-STEP').length, 1, 'step 1 ran exactly once');
    assert.deepEqual(lines(ws), ['one']);
    const report = requestsWith('REPORT-STEP');
    assert.equal(report.length, 1);
    assert.match(JSON.stringify(must(report[0], 'report[0]').body), /A-OUT[\s\S]*B-OUT/);
  });

  it('--approve TASK_RUN and --resume TASK_RUN continue the same task', async () => {
    const ws = workspace();
    const { taskRun } = await pausedTask(ws);
    const still = await cli(['--resume', taskRun, '--json'], ws);
    assert.equal(still.code, 3, still.err);
    assert.equal(still.json<TaskJson>().status, 'waiting_on_human');
    llm.enqueue({ kind: 'reply', text: 'B-OUT' }, { kind: 'reply', text: 'C-OUT' });
    const r = await cli(['--approve', taskRun, '--call', 'k1', '--json'], ws);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json<TaskJson>().status, 'completed');
    assert.equal(requestsWith('PLAN-STEP').length, 1);
    assert.deepEqual(lines(ws), ['one']);
    const again = await cli(['--resume', taskRun, '--json'], ws);
    assert.equal(again.code, 0, again.err);
    assert.equal(requestsWith('PLAN-STEP').length, 1, 'resuming a finished task runs nothing');
  });

  it('--deny fails the step, the next step gets the CascadeGuard marker, and the task fails (exit 1)', async () => {
    const ws = workspace();
    const { taskRun } = await pausedTask(ws);
    llm.enqueue({ kind: 'reply', text: 'C-OUT' });
    const r = await cli(['--deny', taskRun, '--reason', 'not in CI', '--json'], ws);
    assert.equal(r.code, 1, r.err);
    const json = r.json<TaskJson>();
    assert.equal(json.status, 'failed');
    assert.deepEqual(json.steps.map((s) => s.status), ['completed', 'failed', 'completed']);
    assert.deepEqual(must(json.steps[1], 'json.steps[1]').tool_calls.map((c) => c.status), ['denied']);
    assert.match(JSON.stringify(must(requestsWith('REPORT-STEP')[0], `requestsWith('REPORT-STEP')[0]`).body), /\[unavailable from b: the user denied /);
    assert.equal(requestsWith('ACT-STEP').length, 1, 'the denied step is not asked again');
    assert.deepEqual(lines(ws), []);
  });
});
