import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCliInProcess } from './runCliInProcess';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { testStoreOf } from '../../fixtures/stateHome';
import { must } from '../../fixtures/must';

const RUN_KEYS = ['run_id', 'agent', 'status', 'output', 'usage', 'cost_usd', 'tool_calls', 'pending_approvals'];

function workspace(yaml?: string): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-clitest-')));
  if (yaml !== undefined) {
    fs.mkdirSync(path.join(dir, '.breakwater'));
    fs.writeFileSync(path.join(dir, '.breakwater', 'agents.yaml'), yaml);
  }
  return dir;
}

describe('CLI (in process, real core, fake LLM server)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();

  const cli = (args: string[], cwd: string) => runCliInProcess(args, cwd, { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, OPENAI_BASE_URL: llm.openaiBaseUrl, PATH: process.env.PATH });

  const ONE = `settings:\n  max_retries: 0\nagents:\n  dev:\n    provider: anthropic\n    tools: [read, write, edit, bash]\n`;

  describe('usage errors exit 2 and say what to do', () => {
    const cases: [string, string[], RegExp][] = [
      ['no mode', [], /say what to do/],
      ['two modes', ['--status', '--runs'], /cannot be combined/],
      ['--agent without --prompt', ['--agent', 'dev'], /needs --prompt/],
      ['--all without --prompt', ['--all'], /needs --prompt/],
      ['unknown flag', ['--frobnicate'], /frobnicate/],
      ['--call with --resume', ['--resume', 'r-20250101-000000-abcdef', '--call', 'x'], /does not apply/],
      ['--reason with --approve', ['--approve', 'r-20250101-000000-abcdef', '--reason', 'x'], /does not apply/],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const r = await cli(args, workspace(ONE));
        assert.equal(r.code, 2);
        assert.match(r.err, message);
      });
    }

    it('an unknown agent, task, run id or run', async () => {
      const ws = workspace(ONE);
      assert.match((await cli(['--agent', 'ghost', '--prompt', 'x'], ws)).err, /no agent named "ghost"; configured agents: dev/);
      assert.equal((await cli(['--task', 'nope'], ws)).code, 2);
      assert.match((await cli(['--resume', 'not-a-run'], ws)).err, /no run not-a-run .*--runs/);
      const r = await cli(['--approve', 'r-20250101-000000-abcdef'], ws);
      assert.equal(r.code, 2);
      assert.match(r.err, /no run r-20250101-000000-abcdef/);
    });

    it('a missing --workspace or --config', async () => {
      const ws = workspace(ONE);
      assert.equal((await cli(['--runs', '--workspace', path.join(ws, 'nope')], ws)).code, 2);
      assert.match((await cli(['--runs', '--config', 'missing.yaml'], ws)).err, /does not exist/);
    });

    it('a config error names key path and line', async () => {
      const ws = workspace('agents:\n  dev:\n    tools: [read, teleport]\n');
      const r = await cli(['--agents'], ws);
      assert.equal(r.code, 2);
      assert.match(r.err, /agents\.dev\.tools\[1\] \(line 3\)/);
    });
  });

  it('--help prints the interface', async () => {
    const r = await cli(['--help'], workspace());
    assert.equal(r.code, 0);
    assert.match(r.out, /--approve RUN_ID \[--call CALL_ID\]/);
  });

  it('--agents uses the built-in default without a file', async () => {
    const r = await cli(['--agents', '--json'], workspace());
    assert.equal(r.code, 0);
    assert.deepEqual(Object.keys(r.json().agents), ['assistant']);
  });

  it('--agent --prompt --json completes with exactly the documented object (exit 0)', async () => {
    const ws = workspace(ONE);
    llm.enqueue({ kind: 'reply', text: 'hello there', usage: { input: 11, output: 3, cacheRead: 2 } });
    const r = await cli(['--agent', 'dev', '--prompt', 'hi', '--json'], ws);
    assert.equal(r.code, 0, r.err);
    const json = r.json();
    assert.deepEqual(Object.keys(json), RUN_KEYS);
    assert.equal(json.status, 'completed');
    assert.equal(json.output, 'hello there');
    assert.deepEqual(json.usage, { input_tokens: 11, output_tokens: 3, cache_read_tokens: 2, cache_creation_tokens: 0 });
    assert.ok(json.cost_usd > 0);
    // Progress goes to stderr, never into the JSON.
    assert.match(r.err, /completed/);
    const runs = (await cli(['--runs', '--json'], ws)).json();
    // The documented keys first, in order; the run index adds kind, cost, pending approvals, resumable.
    assert.deepEqual(Object.keys(runs.runs[0]).slice(0, 5), ['run_id', 'agent', 'status', 'started_at', 'updated_at']);
    assert.equal(runs.runs[0].kind, 'run');
    assert.equal(runs.runs[0].cost_usd, json.cost_usd);
    assert.equal(runs.runs[0].run_id, json.run_id);
    // The store is in the user's state dir now (a temp one in tests), not in the workspace.
    assert.ok(fs.existsSync(path.join(testStoreOf(ws), 'logs', 'dev.md')));
    assert.equal(fs.existsSync(path.join(ws, '.breakwater', 'runs')), false);
  });

  it('a provider failure exits 1 with the error', async () => {
    llm.enqueue({ kind: 'http_error', status: 400, message: 'bad thing' });
    const r = await cli(['--agent', 'dev', '--prompt', 'hi', '--json'], workspace(ONE));
    assert.equal(r.code, 1);
    assert.equal(r.json().status, 'failed');
    assert.match(r.json().error, /bad thing|400/);
  });

  it('without --yes and without a TTY a write pauses the run (exit 3); --deny tells the model', async () => {
    const ws = workspace(ONE);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'w1', name: 'write', args: { path: 'a.txt', content: 'A' } }] });
    const r = await cli(['--agent', 'dev', '--prompt', 'write', '--json'], ws);
    assert.equal(r.code, 3, r.err);
    const json = r.json();
    assert.equal(json.status, 'waiting_on_human');
    assert.deepEqual(json.pending_approvals.map((p: { call_id: string }) => p.call_id), ['w1']);
    assert.deepEqual(Object.keys(json.pending_approvals[0]), ['call_id', 'tool', 'summary']);
    assert.equal(fs.existsSync(path.join(ws, 'a.txt')), false);
    llm.enqueue({ kind: 'reply', text: 'understood' });
    const d = await cli(['--deny', json.run_id, '--call', 'w1', '--reason', 'not now', '--json'], ws);
    assert.equal(d.code, 0, d.err);
    assert.equal(d.json().tool_calls[0].status, 'denied');
    assert.equal(fs.existsSync(path.join(ws, 'a.txt')), false);
    const toolResult = JSON.stringify(llm.requests.at(-1)?.body);
    assert.match(toolResult, /not now/);
  });

  it('--yes approves an ask but never a hard block nor an ask-every-time call', async () => {
    const ws = workspace(ONE);
    fs.mkdirSync(path.join(ws, '.git'));
    llm.enqueue({
      kind: 'reply',
      toolCalls: [
        { id: 'ok', name: 'write', args: { path: 'a.txt', content: 'A' } },
        { id: 'hard', name: 'bash', args: { command: 'rm -rf /' } },
        { id: 'every', name: 'write', args: { path: '.git/config', content: 'x' } },
      ],
    });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], ws);
    assert.equal(r.code, 3, r.err);
    const calls = Object.fromEntries(r.json().tool_calls.map((c: { id: string; status: string }) => [c.id, c.status]));
    assert.deepEqual(calls, { ok: 'ok', hard: 'blocked', every: 'pending' });
    assert.equal(fs.readFileSync(path.join(ws, 'a.txt'), 'utf8'), 'A');
    assert.equal(fs.existsSync(path.join(ws, '.git', 'config')), false);
    // Approving it by its own call id lets it run.
    llm.enqueue({ kind: 'reply', text: 'done' });
    const a = await cli(['--approve', r.json().run_id, '--call', 'every', '--json'], ws);
    assert.equal(a.code, 0, a.err);
    assert.equal(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8'), 'x');
  });

  it('--all isolates a failing provider: {results: {AGENT: run}} and exit 1', async () => {
    const ws = workspace(`settings:\n  max_retries: 0\nagents:\n  a:\n    provider: anthropic\n  o:\n    provider: openai\n    model: gpt-4o\n`);
    llm.enqueueFor('anthropic', { kind: 'reply', text: 'from a' });
    llm.enqueueFor('openai', { kind: 'http_error', status: 401, message: 'bad key' });
    const r = await cli(['--all', '--prompt', 'hi', '--json'], ws);
    assert.equal(r.code, 1);
    const { results } = r.json();
    assert.deepEqual(Object.keys(results).sort(), ['a', 'o']);
    assert.equal(results.a.status, 'completed');
    assert.equal(results.a.output, 'from a');
    assert.equal(results.o.status, 'failed');
    assert.deepEqual(Object.keys(results.a), RUN_KEYS);
  });

  it('--task passes outputs on and a failed middle step reaches the next as a marker', async () => {
    const ws = workspace(`settings:\n  max_retries: 0\nagents:\n  a: { provider: anthropic }\n  b: { provider: anthropic }\n  c: { provider: anthropic }\ntasks:\n  t:\n    steps:\n      - { agent: a, prompt: one }\n      - { agent: b, prompt: two }\n      - { agent: c, prompt: three }\n`);
    llm.enqueue({ kind: 'reply', text: 'A-OUT' }, { kind: 'http_error', status: 400, message: 'b broke' }, { kind: 'reply', text: 'C-OUT' });
    const r = await cli(['--task', 't', '--json'], ws);
    assert.equal(r.code, 1);
    const json = r.json();
    assert.deepEqual(Object.keys(json), ['task', 'status', 'steps']);
    assert.deepEqual(json.steps.map((s: { status: string }) => s.status), ['completed', 'failed', 'completed']);
    const third = JSON.stringify(must(llm.requests[2], 'llm.requests[2]').body);
    assert.match(third, /A-OUT/);
    assert.match(third, /unavailable from b: /);
  });

  it('--status --json has breakers, costs, runs, where they are shared and where the config came from', async () => {
    const ws = workspace(`settings:\n  budget_usd: 10\nagents:\n  dev: { provider: anthropic }\n`);
    llm.enqueue({ kind: 'reply', text: 'x', usage: { input: 1000, output: 1000 } });
    await cli(['--agent', 'dev', '--prompt', 'hi'], ws);
    const s = (await cli(['--status', '--json'], ws)).json();
    // `runs` is a page now (the runs that need attention and the most recent), with the counts beside it.
    assert.deepEqual(Object.keys(s), ['breakers', 'costs', 'runs', 'run_counts', 'sandbox', 'state', 'config']);
    assert.equal(s.run_counts.total, 1);
    assert.equal(s.run_counts.completed, 1);
    assert.equal(s.config.workspace_file.path, path.join(ws, '.breakwater', 'agents.yaml'));
    assert.deepEqual(s.config.values['settings.budget_usd'], { from: 'workspace', file: path.join(ws, '.breakwater', 'agents.yaml') });
    assert.deepEqual(s.config.values['providers.anthropic.base_url'], { from: 'env', variable: 'ANTHROPIC_BASE_URL' });
    assert.deepEqual(s.config.keys, [{ provider: 'anthropic', endpoint: llm.url, source: 'the environment (ANTHROPIC_API_KEY)' }]);
    assert.equal(s.state.backend, 'file');
    assert.ok(Array.isArray(s.breakers.providers) && Array.isArray(s.breakers.tools));
    assert.ok(s.costs.total_usd > 0);
    assert.ok(s.costs.by_agent.dev > 0);
    assert.equal(s.costs.budget.budget_usd, 10);
    assert.equal(s.runs.length, 1);
  });

  it('a stream that breaks mid-answer is asked again from scratch, with the partial text discarded, not repeated', async () => {
    const ws = workspace(`settings:\n  max_retries: 1\n  retry_delay: 0.01\nagents:\n  dev:\n    provider: anthropic\n    tools: [read]\n`);
    llm.enqueue({ kind: 'error_mid_stream', afterText: 'The answer is 4' }, { kind: 'reply', text: 'The answer is 42.' });
    const r = await cli(['--agent', 'dev', '--prompt', 'q', '--json'], ws);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json().output, 'The answer is 42.');
    assert.match(r.err, /broke off mid-stream .*discarding 15 characters and asking again/);
    assert.equal(llm.requests.filter((q) => q.protocol === 'anthropic').length, 2);
  });

  it('a stream that keeps breaking fails the run once retries are spent, with the cause', async () => {
    const ws = workspace(ONE); // max_retries: 0
    llm.enqueue({ kind: 'error_mid_stream', afterText: 'partial' });
    const r = await cli(['--agent', 'dev', '--prompt', 'q', '--json'], ws);
    assert.equal(r.code, 1);
    assert.match(String(r.json().error), /stream/i);
    assert.equal(llm.requests.length, 1);
  });

  it('--health exits 0 when every agent answers, 1 otherwise', async () => {
    const ws = workspace(ONE);
    llm.enqueue({ kind: 'reply', text: 'OK' });
    const ok = await cli(['--health', '--json'], ws);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.equal(ok.json().agents.dev.ok, true);
    llm.enqueue({ kind: 'http_error', status: 401 });
    const bad = await cli(['--health', '--json'], ws);
    assert.equal(bad.code, 1);
  });

  it('--health for a person shows each agent with its model, latency and breaker state', async () => {
    const ws = workspace(ONE);
    llm.enqueue({ kind: 'reply', text: 'OK' });
    const r = await cli(['--health'], ws);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^✓ dev \(anthropic\/[\w.-]+\) \d+ ms, breaker closed$/m);
  });
});
