import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configSchema } from '../../../src/core/config/schema';
import { ProviderError } from '../../../src/core/providers/errors';
import type { ChatRequest, LlmProvider, StreamEvent } from '../../../src/core/providers/types';
import { AuditLedger, readAuditLedger } from '../../../src/core/resilience/auditLedger';
import { healthCheck } from '../../../src/core/resilience/healthCheck';
import { providerBreakerStatus } from '../../../src/core/resilience/policyStats';
import { ResilientModelGateway } from '../../../src/core/resilience/resilientModelGateway';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { recordingBus } from './helpers';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';
import { must } from '../../fixtures/must';

/** An in-memory provider that answers from a script of outcomes. */
function scriptedProvider(kind: 'anthropic' | 'openai', outcomes: Array<string | ProviderError>, seen: ChatRequest[] = []): LlmProvider {
  return {
    kind,
    endpoint: `http://${kind}.test`,
    async *stream(request): AsyncGenerator<StreamEvent> {
      seen.push(request);
      const next = outcomes.shift() ?? new ProviderError('server', 'script exhausted', { status: 500 });
      if (typeof next !== 'string') throw next;
      yield { type: 'text', text: next };
      yield { type: 'usage', usage: { inputTokens: 10, outputTokens: 2, cacheReadTokens: 0, cacheCreationTokens: 0 } };
      yield { type: 'stop', reason: 'end_turn' };
    },
  };
}

describe('audit ledger, health check and status', () => {
  let dir: string;
  const open: Array<{ flush(): Promise<void> }> = [];
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-audit-'))));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.flush()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const setup = async (outcomes: Record<'anthropic' | 'openai', Array<string | ProviderError>>) => {
    const rec = recordingBus();
    const store = new StoreLayout(dir);
    const config = configSchema.parse({
      settings: { max_retries: 0, circuit_breaker_threshold: 1 },
      agents: { dev: { provider: 'anthropic', model: 'haiku-4.5' }, ops: { provider: 'openai', model: 'gpt-4o' } },
    });
    const audit = new AuditLedger(store.auditLedger, rec.bus.event);
    const gateway = await ResilientModelGateway.open({
      config,
      store,
      events: rec.bus,
      secrets: NO_KEYS,
      providerFactory: (kind) => scriptedProvider(kind as 'anthropic' | 'openai', outcomes[kind as 'anthropic' | 'openai']),
    });
    open.push(gateway, audit);
    return { config, audit, gateway, store, ...rec };
  };

  it('persists failures with their cause, breaker transitions and budget refusals, in order, and reads them back', async () => {
    const { gateway, audit, store, bus } = await setup({ anthropic: [new ProviderError('server', 'anthropic: server error (HTTP 500)', { status: 500, cause: new Error('socket said no') })], openai: [] });
    await gateway.call({ provider: 'anthropic', model: 'haiku-4.5' }, { system: '', messages: [{ role: 'user', text: 'hi' }], tools: [], maxTokens: 10 }, { agentName: 'dev', signal: new AbortController().signal }).catch(() => undefined);
    bus.fire({ type: 'fallback_used', agent: 'dev', strategy: 'cache', detail: 'served from cache', at: 1 });
    bus.fire({ type: 'cost_recorded', agent: 'dev', model: 'm', usd: 0, at: 2 });
    await audit.flush();
    const { entries } = await readAuditLedger(store.auditLedger);
    assert.deepEqual(entries.map((e) => e.type), ['provider_failure', 'breaker_transition', 'fallback_used']);
    const failure = must(entries[0], 'failure');
    assert.ok(failure.type === 'provider_failure' && /Caused by: Error: socket said no/.test(failure.cause ?? ''));
    const onlyFallbacks = await readAuditLedger(store.auditLedger, { types: ['fallback_used'], name: 'dev' });
    assert.equal(onlyFallbacks.entries.length, 1);
    audit.dispose();
  });

  it('health check: one minimal call per agent through the same policy, with latency, model and breaker state', async () => {
    const { gateway, config } = await setup({ anthropic: ['OK'], openai: [new ProviderError('auth', 'openai: bad key', { status: 401 })] });
    const seen: string[] = [];
    const report = await healthCheck({ config, gateway, registry: gateway.registry, signal: new AbortController().signal });
    seen.push(...report.map((r) => `${r.agent}:${r.ok}:${r.model}:${r.breaker}`));
    assert.deepEqual(seen, ['dev:true:claude-haiku-4-5:closed', 'ops:false:gpt-4o:closed']);
    const ops = must(report[1], 'ops');
    assert.ok(!ops.ok && /bad key/.test(ops.error));
    assert.equal(typeof must(report[0], 'report[0]').latencyMs, 'number');
  });

  it('health check reports an open breaker without calling the provider', async () => {
    const { gateway, config } = await setup({ anthropic: [new ProviderError('overloaded', 'busy', { status: 529 })], openai: ['OK'] });
    await healthCheck({ config, gateway, registry: gateway.registry, signal: new AbortController().signal, agents: ['dev'] });
    const again = await healthCheck({ config, gateway, registry: gateway.registry, signal: new AbortController().signal, agents: ['dev'] });
    assert.equal(must(again[0], 'again[0]').breaker, 'open');
    assert.ok(again[0]?.ok === false && /circuit breaker is open/.test(again[0].error));
    await assert.rejects(healthCheck({ config, gateway, registry: gateway.registry, signal: new AbortController().signal, agents: ['ghost'] }), /No agent "ghost" in the config; known agents: dev, ops/);
  });

  it('status lists every configured endpoint from the start, with the breaker state a previous process persisted', async () => {
    const first = await setup({ anthropic: [new ProviderError('server', 'down', { status: 500 })], openai: [] });
    assert.deepEqual(Object.keys(providerBreakerStatus(first.gateway.registry)).sort(), ['anthropic@http://anthropic.test', 'openai@http://openai.test']);
    await assert.rejects(first.gateway.call({ provider: 'anthropic', model: 'haiku-4.5' }, { system: '', messages: [{ role: 'user', text: 'hi' }], tools: [], maxTokens: 16 }, { agentName: 'dev', signal: new AbortController().signal }));
    await first.gateway.flush();

    // A new process (the next CLI invocation) has made no call yet, but sees both endpoints and the open breaker.
    const second = await setup({ anthropic: [], openai: [] });
    const status = providerBreakerStatus(second.gateway.registry);
    assert.equal(status['anthropic@http://anthropic.test']?.state, 'open');
    assert.equal(status['openai@http://openai.test']?.state, 'closed');
  });

  it('status per provider in the documented shape: state, failures, successes, calls, avg_ms', async () => {
    const { gateway } = await setup({ anthropic: ['one', new ProviderError('server', 'down', { status: 500 })], openai: [] });
    const req = { system: '', messages: [{ role: 'user' as const, text: 'x' }], tools: [], maxTokens: 5 };
    const opts = { agentName: 'dev', signal: new AbortController().signal };
    await gateway.call({ provider: 'anthropic', model: 'haiku' }, req, opts);
    await gateway.call({ provider: 'anthropic', model: 'haiku' }, req, opts).catch(() => undefined);
    const status = must(providerBreakerStatus(gateway.registry)['anthropic@http://anthropic.test'], 'status');
    assert.equal(status.state, 'open');
    assert.equal(status.calls, 2);
    assert.equal(status.successes, 1);
    assert.equal(status.failures, 1);
    assert.equal(typeof status.avg_ms, 'number');
    assert.ok(status.retry_at !== undefined && !Number.isNaN(Date.parse(status.retry_at)));
    assert.equal(status.rate_limit.used, 2);
  });
});
