import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { testStoreOf } from '../fixtures/stateHome';
import { costOf, PriceTable } from '../../src/core/cost/priceTable';
import { resolveModel } from '../../src/core/providers/modelAliases';
import { ZERO_USAGE } from '../../src/core/providers/types';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { useRedis } from '../fixtures/redis/redisServer';
import { runBuiltCli, sleep, startBuiltCli, until, makeWorkspace } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * Limits shared across processes, measured from outside: real CLI processes (`node dist/cli.js`), the real fake LLM server (requests
 * are counted where they arrive), the store folder and a real Redis. Each scenario runs for both backends.
 */
const agent = (settings: string, tools = '[]') => `settings:\n${settings}\nagents:\n  a:\n    role: You answer.\n    provider: anthropic\n    model: sonnet\n    tools: ${tools}\n`;

describe('shared limits, breakers and budgets across CLI processes', function () {
  this.timeout(240_000);
  const llm = useFakeLlm();
  const redis = useRedis();
  before(function () {
    this.timeout(60_000);
    
  });

  for (const backend of ['file', 'redis'] as const) {
    describe(`${backend} backend`, () => {
      const env = (extra: Record<string, string> = {}): Record<string, string> => ({
        ANTHROPIC_API_KEY: 'test-key',
        ANTHROPIC_BASE_URL: llm.url,
        ...(backend === 'redis' ? { BREAKWATER_STATE_URL: redis().url } : {}),
        ...extra,
      });
      const ask = (ws: string, extra: string[] = []) => ['--workspace', ws, '--agent', 'a', '--prompt', 'hi', ...extra];
      const status = async (ws: string) => (await runBuiltCli(['--workspace', ws, '--status', '--json'], { cwd: ws, env: env() })).json<StatusJson>();

      it('limiter: 5 processes at once against 3 per minute — 3 go, a waiter can be cancelled, the last goes a window later', async () => {
        llm.setDefault({ kind: 'reply', text: 'ok' });
        const ws = makeWorkspace(agent('  rate_limit_per_minute: 3'));
        const procs = Array.from({ length: 5 }, () => startBuiltCli(ask(ws), { cwd: ws, env: env() }));
        await until('3 requests at the server', () => llm.requests.length >= 3);
        await sleep(3_000);
        assert.equal(llm.requests.length, 3, 'two processes wait for the window');
        const running = procs.filter((p) => p.child.exitCode === null);
        assert.equal(running.length, 2);
        const cancelledAt = Date.now();
        must(running[0], 'running[0]').child.kill('SIGINT');
        const cancelled = await must(running[0], 'running[0]').done;
        assert.ok(Date.now() - cancelledAt < 5_000, 'a waiting caller is cancellable');
        assert.notEqual(cancelled.code, 0);
        assert.equal(must((await status(ws)).breakers.providers[0], '(await status(ws)).breakers.providers[0]').rate_limit.used, 3, 'another process sees the window use');
        const last = await must(running[1], 'running[1]').done;
        assert.equal(last.code, 0, last.stderr);
        assert.equal(llm.requests.length, 4);
        const at = llm.requests.map((r) => r.at).sort((x, y) => x - y);
        assert.ok(must(at[3], 'at[3]') - must(at[0], 'at[0]') >= 60_000, `the 4th request came ${must(at[3], 'at[3]') - must(at[0], 'at[0]')} ms after the 1st: never 4 in one minute`);
      });

      it('limiter: processes one after another — the third in a minute waits (2 per minute)', async () => {
        llm.setDefault({ kind: 'reply', text: 'ok' });
        const ws = makeWorkspace(agent('  rate_limit_per_minute: 2'));
        for (let i = 0; i < 2; i++) assert.equal((await runBuiltCli(ask(ws), { cwd: ws, env: env() })).code, 0);
        const third = startBuiltCli(ask(ws), { cwd: ws, env: env() });
        await sleep(4_000);
        assert.equal(third.child.exitCode, null, 'still waiting for its slot');
        assert.equal(llm.requests.length, 2);
        third.child.kill('SIGINT');
        await third.done;
        assert.equal(llm.requests.length, 2);
      });

      it('breaker: failures are counted across processes — the threshold opens it for every later process, --status shows the shared count', async () => {
        llm.setDefault({ kind: 'http_error', status: 500 });
        const ws = makeWorkspace(agent('  max_retries: 0\n  circuit_breaker_threshold: 2\n  circuit_breaker_timeout: 60'));
        const runs = [];
        for (let i = 0; i < 4; i++) runs.push(await runBuiltCli(ask(ws), { cwd: ws, env: env() }));
        assert.equal(llm.requests.length, 2, 'only two requests: the breaker opened for the processes after them');
        assert.ok(runs.every((r) => r.code === 1));
        assert.match(must(runs[2], 'runs[2]').stderr + must(runs[2], 'runs[2]').stdout, /circuit breaker is open/);
        const s = await status(ws);
        const p = must(s.breakers.providers[0], 'p');
        assert.deepEqual([p.state, p.calls, p.failures], ['open', 2, 2]);
        assert.ok(p.retry_at !== undefined);
      });

      it('breaker: after the timeout exactly one probe when 4 processes start together (20 trials)', async () => {
        // The probe stalls until its 1.5 s timeout, so every other process arrives while it is in flight; its
        // failure opens the breaker again for the next trial.
        const ws = makeWorkspace(agent('  max_retries: 0\n  circuit_breaker_threshold: 1\n  circuit_breaker_timeout: 1\n  timeout: 1.5'));
        llm.enqueue({ kind: 'http_error', status: 500 });
        assert.equal((await runBuiltCli(ask(ws), { cwd: ws, env: env() })).code, 1);
        llm.setDefault({ kind: 'stall_before_headers' });
        for (let trial = 0; trial < 20; trial++) {
          await sleep(1_100);
          const before = llm.requests.length;
          const runs = await Promise.all(Array.from({ length: 4 }, () => runBuiltCli(ask(ws), { cwd: ws, env: env() })));
          assert.equal(llm.requests.length - before, 1, `trial ${trial}: ${llm.requests.length - before} probes`);
          const failedFast = runs.filter((r) => /being probed after an outage|circuit breaker is open/.test(r.stdout + r.stderr));
          assert.equal(failedFast.length, 3, `trial ${trial}:\n${runs.map((r) => r.stdout + r.stderr).join('\n---\n')}`);
        }
        const p = must((await status(ws)).breakers.providers[0], 'p');
        assert.equal(p.calls, 21, 'the opening call and one probe per trial, as every process counted them');
      });

      it('budget: 6 processes at once and more after them never spend past budget_usd', async () => {
        // What one call may cost at most, as the gateway reserves it (a refusal tells the token counts).
        const probe = makeWorkspace(agent('  budget_usd: 0.000001'));
        const refused = await runBuiltCli(ask(probe), { cwd: probe, env: env() });
        const m = /at most (\d+) input tokens .* \+ (\d+) max output tokens/.exec(refused.stdout + refused.stderr);
        assert.ok(m, refused.stdout + refused.stderr);
        const [input, output] = [Number(m[1]), Number(m[2])];
        const worst = costOf(new PriceTable({}).lookup('anthropic', resolveModel('anthropic', 'sonnet')).price, { ...ZERO_USAGE, inputTokens: input, outputTokens: output });
        // Each call really costs almost its worst case: 2.5 worst cases pay for two calls, never three.
        llm.setDefault({ kind: 'reply', text: 'ok', usage: { input: input - 20, output } });
        const budget = 2.5 * worst;
        const ws = makeWorkspace(agent(`  budget_usd: ${budget}`));
        const parallel = await Promise.all(Array.from({ length: 6 }, () => runBuiltCli(ask(ws), { cwd: ws, env: env() })));
        const after = [];
        for (let i = 0; i < 2; i++) after.push(await runBuiltCli(ask(ws), { cwd: ws, env: env() }));
        const paid = llm.requests.length;
        assert.ok(paid <= 2, `${paid} calls were sent`);
        assert.ok(paid >= 1);
        const ledger = fs.readFileSync(path.join(testStoreOf(ws), 'state', 'costs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { usd: number });
        const spent = ledger.reduce((s, e) => s + e.usd, 0);
        assert.ok(spent <= budget, `spent ${spent} of ${budget}`);
        assert.ok([...parallel, ...after].filter((r) => r.code !== 0).every((r) => /budget of \$[\d.]+ would be crossed/.test(r.stdout + r.stderr)));
        const s = await status(ws);
        assert.ok(Math.abs(s.costs.budget.spent_usd - spent) < 1e-6);
        assert.equal(s.costs.budget.reserved_usd, 0, 'every reservation was settled');
      });

      it('tool breakers are shared: two failing bash calls in two processes open it for the third', async () => {
        const ws = makeWorkspace(agent('  tool_breaker_threshold: 2\n  tool_breaker_timeout: 600', '[bash]'));
        const fail = { kind: 'reply' as const, toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'exit 3' } }] };
        const results = [];
        for (let i = 0; i < 3; i++) {
          llm.enqueue(fail, { kind: 'reply', text: 'done' });
          results.push(await runBuiltCli(ask(ws, ['--yes', '--json']), { cwd: ws, env: env() }));
        }
        const calls = results.map((r) => must(r.json<{ tool_calls: { status: string; error?: string }[] }>().tool_calls[0], 'the first tool call'));
        assert.deepEqual(calls.map((c) => c.status), ['error', 'error', 'blocked']);
        assert.match(calls[2]?.error ?? '', /bash tool is temporarily disabled/);
        const bash = (await status(ws)).breakers.tools.find((t) => t.name === 'bash')!;
        assert.deepEqual([bash.state, bash.calls, bash.failures], ['open', 2, 2]);
      });
    });
  }
});

interface StatusJson {
  breakers: {
    providers: { name: string; state: string; calls: number; failures: number; retry_at?: string; rate_limit: { used: number; limit: number } }[];
    tools: { name: string; state: string; calls: number; failures: number }[];
  };
  costs: { total_usd: number; budget: { budget_usd: number | null; spent_usd: number; reserved_usd: number } };
  state: { backend: string };
}
