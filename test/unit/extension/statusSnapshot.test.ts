import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBreakwater, type BreakerRow, type BreakwaterStatus } from '../../../src/core/breakwater';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import type { BreakerView } from '../../../src/extension/coreViews';
import { breakerParts, costBarView, formatRetryIn, toBreakerView, toHealth, toSandboxView, toSnapshot, untranslated } from '../../../src/extension/statusSnapshot';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const row = (over: Partial<BreakerRow> = {}): BreakerRow => ({ name: 'openai@https://api.openai.com/v1', state: 'closed', failures: 0, successes: 4, calls: 4, avg_ms: 812.4, ...over });
const view = (over: Partial<BreakerView> = {}): BreakerView => ({ name: 'openai@x', state: 'closed', failures: 0, successes: 4, calls: 4, avgMs: 812.4, ...over });
const status = (over: Partial<BreakwaterStatus['costs']> = {}): BreakwaterStatus => ({
  breakers: { providers: [row({ rate_limit: { used: 12, limit: 50, tokens_used: 9000, tokens_limit: null, queued: 2, window_ms: 60_000 } })], tools: [row({ name: 'bash', state: 'open', failures: 3, retry_at: new Date(NOW + 90_000).toISOString() })] },
  costs: { total_usd: 4.5, today_usd: 0.25, by_agent: { dev: 4.5 }, by_model: { 'gpt-4o': 4.5 }, budget: { budget_usd: 5, spent_usd: 4.5, reserved_usd: 0, remaining_usd: 0.5, warning: true }, ...over },
  runs: [],
  sandbox: { available: true, mode: 'auto', kind: 'bubblewrap' },
  run_counts: { total: 0, running: 0, waiting_on_human: 0, interrupted: 0, completed: 0, failed: 0, damaged: 0 },
  state: { backend: 'file', location: '/store/state/shared' },
});

describe('statusSnapshot: the core status as the tree and status bar show it', () => {
  describe('toSnapshot / toBreakerView', () => {
    it("takes today's cost from the core's today_usd, not the total", () => {
      const s = toSnapshot(status(), [], NOW);
      assert.equal(s.costs.todayUsd, 0.25);
      assert.equal(s.costs.totalUsd, 4.5);
      assert.equal(s.costs.budgetUsd, 5);
      assert.deepEqual(s.costs.byAgent, { dev: 4.5 });
    });

    it("carries a provider's rate-limit use: requests, limit, callers waiting, tokens", () => {
      const s = toSnapshot(status(), [], NOW);
      assert.deepEqual(s.providers[0]?.rateLimit, { used: 12, limit: 50, queued: 2, tokensUsed: 9000, tokensLimit: null });
      assert.equal(s.tools[0]?.rateLimit, undefined, 'tools have no rate limit');
    });

    it('shows an open breaker as half-open once its probe time has passed', () => {
      const open = row({ state: 'open', retry_at: new Date(NOW - 1).toISOString() });
      assert.equal(toBreakerView(open, NOW).state, 'half_open');
      assert.equal(toBreakerView(open, NOW - 10).state, 'open');
      assert.equal(toBreakerView(open, NOW).retryAt, NOW - 1);
    });

    it('ignores a retry time it cannot parse', () => {
      const v = toBreakerView(row({ state: 'open', retry_at: 'soon' }), NOW);
      assert.equal(v.state, 'open');
      assert.equal('retryAt' in v, false);
    });
  });

  it('toHealth names agent, provider and model, with the failure', () => {
    const entries = toHealth({ healthy: false, agents: { dev: { provider: 'openai', model: 'gpt-4o', ok: false, breaker: 'b', ms: 31, error: 'auth: bad key' }, rev: { provider: 'ollama', model: 'llama3', ok: true, breaker: 'c', ms: 5 } } });
    assert.deepEqual(entries, [
      { name: '@dev (openai · gpt-4o)', ok: false, detail: 'auth: bad key', latencyMs: 31 },
      { name: '@rev (ollama · llama3)', ok: true, detail: 'ok', latencyMs: 5 },
    ]);
  });

  it('formatRetryIn counts down in seconds, then minutes, never below zero', () => {
    assert.equal(formatRetryIn(NOW + 42_000, NOW), '42s');
    assert.equal(formatRetryIn(NOW + 125_000, NOW), '2m 5s');
    assert.equal(formatRetryIn(NOW - 5_000, NOW), '0s');
    assert.equal(formatRetryIn(undefined, NOW), '');
  });

  describe('breakerParts (a tree row)', () => {
    it('shows the rate-limit use of a provider and who waits for it', () => {
      const { description, tooltip } = breakerParts(view({ rateLimit: { used: 12, limit: 50, queued: 2, tokensUsed: 9000, tokensLimit: 40000 } }), NOW);
      assert.deepEqual(description, ['closed', '4 calls', 'avg 812 ms', 'rate 12/50 per min', '2 waiting']);
      assert.ok(tooltip.includes('Rate limit: 12 of 50 requests in the last minute (24 %)'), tooltip.join('\n'));
      assert.ok(tooltip.includes('Tokens: 9000 of 40000 in the last minute'));
      assert.ok(tooltip.includes('Counted across every process that shares this store or state server'), 'the figures are the shared ones');
    });

    it('an open breaker says its failures and when the next probe goes through', () => {
      const { description } = breakerParts(view({ state: 'open', failures: 3, retryAt: NOW + 90_000 }), NOW);
      assert.deepEqual(description, ['open', '4 calls', 'avg 812 ms', '3 failures', 'probe in 1m 30s']);
      assert.equal(breakerParts(view({ state: 'half_open' }), NOW).description[0], 'half-open');
    });

    it('passes every string through the translator', () => {
      const seen: string[] = [];
      breakerParts(view({ rateLimit: { used: 1, limit: 2 } }), NOW, (m, ...a) => (seen.push(m), untranslated(m, ...a)));
      assert.ok(seen.includes('rate {0}/{1} per min') && seen.includes('{0} calls'));
    });
  });

  describe('toSandboxView (the Status tree says whether commands are sandboxed, and why not)', () => {
    it('sandboxed with bubblewrap', () => {
      const v = toSandboxView({ available: true, mode: 'auto', kind: 'bubblewrap' });
      assert.deepEqual([v.state, v.label, v.description], ['sandboxed', 'Commands: sandboxed', 'bubblewrap']);
    });
    it('not sandboxed in auto mode: each command asks every time, with the reason', () => {
      const v = toSandboxView({ available: false, mode: 'auto', kind: 'none', reason: 'bubblewrap (bwrap) is not installed' });
      assert.deepEqual([v.state, v.label, v.description], ['unsandboxed', 'Commands: not sandboxed', 'each command asks every time']);
      assert.match(v.tooltip, /bwrap\) is not installed/);
    });
    it('refused in required mode', () => {
      assert.equal(toSandboxView({ available: false, mode: 'required', kind: 'none', reason: 'x' }).state, 'refused');
    });
    it('mode off is not sandboxed even where bubblewrap works', () => {
      assert.equal(toSandboxView({ available: true, mode: 'off', kind: 'none', reason: 'off' }).state, 'unsandboxed');
    });
    it('toSnapshot carries the sandbox through', () => {
      assert.equal(toSnapshot(status(), [], NOW).sandbox?.kind, 'bubblewrap');
    });
  });

  describe('costBarView (the status-bar item)', () => {
    const snap = (costs: Partial<ReturnType<typeof toSnapshot>['costs']>, providers: BreakerView[] = []) => ({ providers, tools: [], costs: { totalUsd: 1, todayUsd: 0.5, budgetUsd: 10, byAgent: {}, byModel: {}, ...costs } });

    it("shows today's cost against the budget", () => {
      const v = costBarView(snap({ todayUsd: 0.5, totalUsd: 3 }));
      assert.equal(v.text, '$(shield) $0.50 / $10.00');
      assert.equal(v.warning, false);
      assert.equal(v.tooltip[0], 'Breakwater — today $0.5000, total $3.0000');
    });

    it('warns past 80 % of the budget, or when a breaker is open', () => {
      assert.equal(costBarView(snap({ totalUsd: 8.01 })).warning, true);
      assert.equal(costBarView(snap({ totalUsd: 8 })).warning, false);
      const broken = costBarView(snap({}, [view({ name: 'anthropic@x', state: 'open' })]));
      assert.equal(broken.warning, true);
      assert.ok(broken.tooltip.includes('Breaker open: anthropic@x'));
    });

    it('without a budget shows only today', () => {
      assert.equal(costBarView(snap({ budgetUsd: null, todayUsd: 1.234 })).text, '$(shield) $1.23');
    });
  });

  it("the core's status counts today's UTC day from the cost ledger", async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-today-'));
    try {
      const layout = new StoreLayout(path.join(base, 'store'));
      fs.mkdirSync(path.dirname(layout.costLedger), { recursive: true });
      const entry = (at: string, usd: number) => JSON.stringify({ at: Date.parse(at), agent: 'dev', provider: 'openai', model: 'gpt-4o', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 }, usd });
      fs.writeFileSync(layout.costLedger, [entry('2026-03-09T23:59:00Z', 1), entry('2026-03-10T00:01:00Z', 0.25), entry('2026-03-10T11:00:00Z', 0.5)].join('\n') + '\n');
      const bw = await createBreakwater({ workspaceFolders: [base], storeDir: layout.root, configFile: path.join(base, 'none.yaml'), secrets: NO_KEYS, trusted: true, ripgrepPath: 'rg', clock: () => NOW });
      try {
        const s = bw.status();
        assert.equal(s.costs.today_usd, 0.75);
        assert.equal(s.costs.total_usd, 1.75);
        assert.equal(toSnapshot(s, [], NOW).costs.todayUsd, 0.75);
      } finally {
        bw.dispose();
      }
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
