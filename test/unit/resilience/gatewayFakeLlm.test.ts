import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { configSchema, type BreakwaterConfigInput } from '../../../src/core/config/schema';
import { isBudgetExceededError } from '../../../src/core/cost/budget';
import { isProviderError } from '../../../src/core/providers/errors';
import type { ChatRequest } from '../../../src/core/providers/types';
import { isCircuitOpenError } from '../../../src/core/resilience/errors';
import { ResilientModelGateway } from '../../../src/core/resilience/resilientModelGateway';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { startFakeLlm, type FakeLlm } from '../../fixtures/fake-llm';
import { recordingBus } from './helpers';
import { fixedKeys } from '../../../src/core/providers/keyBinding';
import { must } from '../../fixtures/must';

/** End to end: the gateway with the real SDK providers against the fake LLM server (real timers, short delays). */
describe('ResilientModelGateway against the fake LLM server', function () {
  this.timeout(15_000);
  let fake: FakeLlm;
  let dir: string;
  const gateways: ResilientModelGateway[] = [];

  before(async () => (fake = await startFakeLlm()));
  after(() => fake.close());
  beforeEach(async () => {
    fake.reset();
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-gateway-'));
  });
  afterEach(async () => {
    await Promise.all(gateways.splice(0).map((g) => g.flush()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const open = async (input: BreakwaterConfigInput = {}) => {
    const rec = recordingBus();
    const config = configSchema.parse({
      ...input,
      settings: { max_retries: 2, retry_delay: 0.01, circuit_breaker_threshold: 50, circuit_breaker_timeout: 30, timeout: 5, rate_limit_per_minute: 1000, ...input.settings },
      providers: { anthropic: { base_url: fake.url }, openai: { base_url: fake.openaiBaseUrl }, ollama: { host: fake.url } },
    });
    const gateway = await ResilientModelGateway.open({ config, store: new StoreLayout(dir), secrets: fixedKeys((['anthropic', 'openai', 'ollama'] as const).map((provider) => ({ provider, value: 'test-key', origin: fake.url }))), events: rec.bus, env: {} });
    gateways.push(gateway);
    return { gateway, ...rec };
  };

  const ask = (text: string, extra: Partial<Omit<ChatRequest, 'model' | 'signal'>> = {}) => ({ system: 'You are terse.', messages: [{ role: 'user' as const, text }], tools: [], maxTokens: 256, ...extra });
  const opts = (extra = {}) => ({ agentName: 'dev', signal: new AbortController().signal, ...extra });
  const haiku = { provider: 'anthropic' as const, model: 'claude-haiku-4-5' };

  it('Anthropic: streams text, reports usage and costs it to the cent, including cache tokens', async () => {
    const { gateway, of } = await open();
    fake.enqueue({ kind: 'reply', text: 'Hello there, friend.', usage: { input: 1_000_000, output: 100_000, cacheRead: 2_000_000, cacheCreation: 400_000 } });
    const deltas: string[] = [];
    const turn = await gateway.call(haiku, ask('hi'), opts({ onText: (d: string) => deltas.push(d) }));
    assert.equal(turn.text, 'Hello there, friend.');
    assert.ok(deltas.length > 1, 'streamed in several deltas');
    assert.equal(deltas.join(''), turn.text);
    assert.deepEqual(turn.usage, { inputTokens: 1_000_000, outputTokens: 100_000, cacheReadTokens: 2_000_000, cacheCreationTokens: 400_000 });
    // Haiku 4.5: 1M × $1 + 100k × $5 + 2M × $0.10 + 400k × $1.25 = $2.20
    assert.equal(Math.round(turn.costUsd * 100), 220);
    assert.equal(turn.attempts, 1);
    assert.equal(must(of('cost_recorded')[0], `of('cost_recorded')[0]`).usd, turn.costUsd);
    await gateway.flush();
    const line = JSON.parse((await fs.readFile(new StoreLayout(dir).costLedger, 'utf8')).trim());
    assert.equal(line.model, 'claude-haiku-4-5');
  });

  it('OpenAI: several tool calls in one turn, validated against the tool schema', async () => {
    const { gateway } = await open();
    fake.enqueue({ kind: 'reply', toolCalls: [{ name: 'read', args: { path: 'a.ts' } }, { name: 'read', args: { path: 'b.ts' } }], stopReason: 'tool_use', usage: { input: 10, output: 5 } });
    const tools = [{ name: 'read', description: 'Read a file', parameters: z.object({ path: z.string() }) }];
    const turn = await gateway.call({ provider: 'openai', model: 'gpt-4o' }, ask('read both', { tools }), opts());
    assert.deepEqual(turn.toolCalls.map((t) => t.call.args), [{ path: 'a.ts' }, { path: 'b.ts' }]);
    assert.equal(turn.stopReason, 'tool_use');
  });

  it('Ollama: costs nothing', async () => {
    const { gateway } = await open();
    fake.enqueue({ kind: 'reply', text: 'local answer', usage: { input: 5000, output: 5000 } });
    const turn = await gateway.call({ provider: 'ollama', model: 'llama3' }, ask('hi'), opts());
    assert.equal(turn.text, 'local answer');
    assert.equal(turn.model, 'llama3.1');
    assert.equal(turn.costUsd, 0);
  });

  it('429 with retry-after: waits as told, then succeeds on the second attempt', async () => {
    const { gateway, of } = await open();
    fake.enqueue({ kind: 'http_error', status: 429, retryAfterMs: 300 }, { kind: 'reply', text: 'ok' });
    const turn = await gateway.call(haiku, ask('hi'), opts());
    assert.equal(turn.text, 'ok');
    assert.equal(turn.attempts, 2);
    assert.equal(fake.requests.length, 2);
    assert.ok(must(fake.requests[1], 'fake.requests[1]').at - must(fake.requests[0], 'fake.requests[0]').at >= 300, 'second attempt waited the retry-after');
    assert.deepEqual(of('provider_failure').map((e) => [e.kind, e.retryInMs]), [['rate_limited', 300]]);
  });

  it('529 overloaded is retried; x-should-retry: false is not', async () => {
    const { gateway } = await open();
    fake.enqueue({ kind: 'http_error', status: 529 }, { kind: 'reply', text: 'back' });
    assert.equal((await gateway.call(haiku, ask('hi'), opts())).attempts, 2);
    fake.reset();
    fake.enqueue({ kind: 'http_error', status: 503, shouldRetry: false }, { kind: 'reply', text: 'never' });
    await assert.rejects(gateway.call(haiku, ask('hi'), opts()), (e: unknown) => isProviderError(e) && e.shouldRetry === false);
    assert.equal(fake.requests.length, 1);
  });

  it('500s open the breaker at the threshold; the next call fails fast without reaching the server', async () => {
    const { gateway, of } = await open({ settings: { circuit_breaker_threshold: 3, max_retries: 2 } });
    fake.setDefault({ kind: 'http_error', status: 500 });
    await assert.rejects(gateway.call(haiku, ask('hi'), opts()), (e: unknown) => isProviderError(e) && e.kind === 'server');
    assert.equal(fake.requests.length, 3);
    await assert.rejects(gateway.call(haiku, ask('hi'), opts()), (e: unknown) => isCircuitOpenError(e) && e.retryAt > Date.now());
    assert.equal(fake.requests.length, 3);
    assert.deepEqual(of('breaker_transition').map((t) => t.to), ['open']);
    const failure = must(of('provider_failure')[0], 'failure');
    assert.match(failure.cause ?? '', /Caused by:/, 'the cause chain and its stack are kept');
  });

  it('half-open after the timeout lets one probe through; success closes it', async () => {
    const { gateway } = await open({ settings: { circuit_breaker_threshold: 1, max_retries: 0, circuit_breaker_timeout: 0.2 } });
    fake.enqueue({ kind: 'http_error', status: 500 });
    await assert.rejects(gateway.call(haiku, ask('hi'), opts()));
    await new Promise((r) => setTimeout(r, 250));
    fake.enqueue({ kind: 'reply', text: 'probe ok', tokenDelayMs: 30 });
    // Other callers arrive while the probe is visibly in flight (its first text has arrived).
    let concurrentCalls: Promise<unknown[]> | undefined;
    const probe = await gateway.call(haiku, ask('probe'), opts({
      onText: () => {
        concurrentCalls ??= Promise.all([1, 2, 3].map(() => gateway.call(haiku, ask('other'), opts()).catch((e: unknown) => e)));
      },
    }));
    const concurrent = await concurrentCalls!;
    assert.ok(concurrent.every((e) => isCircuitOpenError(e) && e.state === 'half_open'));
    assert.equal(probe.text, 'probe ok');
    assert.equal(fake.requests.length, 2);
    assert.equal(must(gateway.registry.stats()[0], 'gateway.registry.stats()[0]').state, 'closed');
  });

  it('401 does not open the breaker and is not retried', async () => {
    const { gateway } = await open({ settings: { circuit_breaker_threshold: 1 } });
    fake.enqueue({ kind: 'http_error', status: 401 });
    await assert.rejects(gateway.call(haiku, ask('hi'), opts()), (e: unknown) => isProviderError(e) && e.kind === 'auth');
    assert.equal(fake.requests.length, 1);
    assert.equal(must(gateway.registry.stats()[0], 'gateway.registry.stats()[0]').state, 'closed');
  });

  it('an error mid-stream: the partial answer is discarded visibly, then the turn is redone — no duplicated text', async () => {
    const { gateway } = await open();
    fake.enqueue({ kind: 'error_mid_stream', afterText: 'Hello, wor' }, { kind: 'reply', text: 'Hello, world' });
    let visible = '';
    const discarded: string[] = [];
    const turn = await gateway.call(haiku, ask('hi'), opts({
      onText: (d: string) => (visible += d),
      onDiscard: (partial: string) => {
        assert.ok(visible.endsWith(partial));
        visible = visible.slice(0, visible.length - partial.length);
        discarded.push(partial);
      },
    }));
    assert.deepEqual(discarded, ['Hello, wor']);
    assert.equal(visible, 'Hello, world');
    assert.equal(turn.text, 'Hello, world');
    assert.equal(turn.attempts, 2);
  });

  it('an error mid-stream without a way to discard is reported as stream_broken and not retried', async () => {
    const { gateway } = await open();
    fake.enqueue({ kind: 'error_mid_stream', afterText: 'Hello, wor' }, { kind: 'reply', text: 'never sent' });
    await assert.rejects(gateway.call({ provider: 'openai', model: 'gpt-4o' }, ask('hi'), opts()), (e: unknown) => isProviderError(e) && e.kind === 'stream_broken' && e.partialText === 'Hello, wor');
    assert.equal(fake.requests.length, 1);
  });

  it('a stall before headers times out (aborting the request) and the retry succeeds', async () => {
    const { gateway, of } = await open({ settings: { timeout: 0.3 } });
    fake.enqueue({ kind: 'stall_before_headers' }, { kind: 'reply', text: 'second wind' });
    const turn = await gateway.call(haiku, ask('hi'), opts());
    assert.equal(turn.text, 'second wind');
    assert.equal(must(of('provider_failure')[0], `of('provider_failure')[0]`).kind, 'timeout');
  });

  it('a stall after text times out as a broken stream and is redone only after the discard', async () => {
    const { gateway } = await open({ settings: { timeout: 0.3 } });
    fake.enqueue({ kind: 'stall_after_text', afterText: 'Thinking' }, { kind: 'reply', text: 'Done' });
    const discarded: string[] = [];
    const turn = await gateway.call({ provider: 'ollama', model: 'llama3' }, ask('hi'), opts({ onDiscard: (p: string) => discarded.push(p) }));
    assert.deepEqual(discarded, ['Thinking']);
    assert.equal(turn.text, 'Done');
  });

  it('a connection reset is a transient network failure and is retried', async () => {
    const { gateway, of } = await open();
    fake.enqueue({ kind: 'reset' }, { kind: 'reply', text: 'reconnected' });
    assert.equal((await gateway.call({ provider: 'openai', model: 'gpt-4o' }, ask('hi'), opts())).text, 'reconnected');
    assert.equal(must(of('provider_failure')[0], `of('provider_failure')[0]`).kind, 'network');
  });

  for (const threshold of [1000, 5]) {
    it(`8 concurrent agents in an outage never make more than max_retries + 1 attempts per call (breaker threshold ${threshold})`, async () => {
      const { gateway } = await open({ settings: { max_retries: 2, circuit_breaker_threshold: threshold } });
      fake.setDefault({ kind: 'http_error', status: 500 });
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => gateway.call(haiku, ask(`call-${i}`), opts({ agentName: `agent-${i}` })).catch((e: unknown) => e)));
      assert.ok(results.every((e) => isProviderError(e) || isCircuitOpenError(e)));
      const perCall = Array.from({ length: 8 }, (_, i) => fake.requests.filter((r) => JSON.stringify(r.body).includes(`call-${i}"`)).length);
      assert.ok(perCall.every((n) => n <= 3), `attempts per call: ${perCall.join(',')}`);
      if (threshold === 1000) assert.deepEqual(perCall, new Array<number>(8).fill(3));
      else assert.ok(fake.requests.length < 24, 'the open breaker cut the retries short');
    });
  }

  it('refuses a call that would cross the agent budget before sending anything', async () => {
    const { gateway, of } = await open({ agents: { dev: { budget_usd: 0.01 } } });
    fake.setDefault({ kind: 'reply', text: 'should not be asked' });
    await assert.rejects(
      gateway.call({ provider: 'anthropic', model: 'claude-opus-4-1' }, ask('write a novel', { maxTokens: 4096 }), opts()),
      (e: unknown) => isBudgetExceededError(e) && e.budgetName === 'dev' && /4096 max output tokens/.test(e.message),
    );
    assert.equal(fake.requests.length, 0);
    assert.equal(of('budget_refused').length, 1);
  });

  it('warns once at 80 % of the workspace budget', async () => {
    const { gateway, of } = await open({ settings: { budget_usd: 10 } });
    // 8.1M input at $1 = $8.10 → 81 %.
    fake.enqueue({ kind: 'reply', text: 'a', usage: { input: 8_100_000, output: 0 } }, { kind: 'reply', text: 'b', usage: { input: 10, output: 0 } });
    await gateway.call(haiku, ask('one'), opts());
    await gateway.call(haiku, ask('two'), opts());
    assert.deepEqual(of('budget_warning').map((e) => [e.scope, Math.round(e.spentUsd * 100)]), [['workspace', 810]]);
  });

  it('an open breaker survives a reload: the next gateway on the same store fails fast without sending', async () => {
    const first = await open({ settings: { circuit_breaker_threshold: 1, max_retries: 0 } });
    fake.enqueue({ kind: 'http_error', status: 500 });
    await assert.rejects(first.gateway.call(haiku, ask('hi'), opts()));
    await first.gateway.flush();
    const second = await open({ settings: { circuit_breaker_threshold: 1, max_retries: 0 } });
    await assert.rejects(second.gateway.call(haiku, ask('hi'), opts()), isCircuitOpenError);
    assert.equal(fake.requests.length, 1);
  });

  it('the caller\'s abort mid-stream cancels the request: no retry, and the breaker does not count it', async () => {
    const { gateway } = await open({ settings: { circuit_breaker_threshold: 1 } });
    fake.enqueue({ kind: 'reply', text: 'a long answer that keeps coming', tokenDelayMs: 50 });
    const ac = new AbortController();
    const call = gateway.call(haiku, ask('hi'), opts({ signal: ac.signal, onText: () => ac.abort(new Error('user pressed stop')) }));
    await assert.rejects(call, (e: unknown) => isProviderError(e) && e.kind === 'aborted');
    assert.equal(fake.requests.length, 1);
    assert.equal(must(gateway.registry.stats()[0], 'gateway.registry.stats()[0]').state, 'closed');
  });
});
