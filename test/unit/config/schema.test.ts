import * as assert from 'node:assert/strict';
import { configSchema } from '../../../src/core/config/schema';
import { must } from '../../fixtures/must';

describe('config schema', () => {
  it('fills the defaults for an empty file', () => {
    const cfg = configSchema.parse({});
    assert.equal(cfg.settings.default_provider, 'anthropic');
    assert.equal(cfg.settings.timeout, 300);
    assert.equal(cfg.settings.rate_limit_per_minute, 60);
    assert.equal(cfg.settings.circuit_breaker_threshold, 5);
    assert.equal(cfg.settings.circuit_breaker_timeout, 30);
    assert.equal(cfg.settings.budget_usd, null);
    assert.deepEqual(cfg.agents, {});
  });

  it('reports unknown keys with their path', () => {
    const r = configSchema.safeParse({ settings: { timout: 5 } });
    assert.equal(r.success, false);
    const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys');
    assert.ok(issue, 'expected an unrecognized_keys issue');
    assert.deepEqual(issue.path, ['settings']);
  });

  it('checks references between agents, servers and tasks', () => {
    const r = configSchema.safeParse({
      agents: { a: { servers: ['prod'], fallback: { strategy: 'degrade', agent: 'ghost' } } },
      tasks: { t: { steps: [{ agent: 'nobody', prompt: 'x' }] } },
    });
    assert.equal(r.success, false);
    const paths = r.error.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('agents.a.servers.0'), paths.join(', '));
    assert.ok(paths.includes('agents.a.fallback.agent'), paths.join(', '));
    assert.ok(paths.includes('tasks.t.steps.0.agent'), paths.join(', '));
  });

  it('requires a target for a degrade fallback', () => {
    const r = configSchema.safeParse({ agents: { a: { fallback: { strategy: 'degrade' } } } });
    assert.equal(r.success, false);
    assert.match(must(r.error.issues[0], 'r.error.issues[0]').message, /degrade fallback needs/);
  });
});
