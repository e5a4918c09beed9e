import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BudgetGuard, isBudgetExceededError } from '../../../src/core/cost/budget';
import { CostLedger } from '../../../src/core/cost/costLedger';
import { MemoryState } from '../../../src/core/state/foldingState';
import { recordingBus } from '../resilience/helpers';
import { must } from '../../fixtures/must';

const usage = { inputTokens: 1000, outputTokens: 500, cacheReadTokens: 200, cacheCreationTokens: 0 };
const DAY1 = Date.UTC(2025, 5, 1, 12);
const DAY2 = Date.UTC(2025, 5, 2, 12);

describe('CostLedger', () => {
  let dir: string;
  beforeEach(async () => (dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-cost-'))));
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  it('appends one JSONL line per call and totals by run, agent, model and day', async () => {
    const { bus, of } = recordingBus();
    const file = path.join(dir, 'state', 'costs.jsonl');
    const ledger = await CostLedger.open({ file, events: bus });
    await ledger.record({ at: DAY1, runId: 'r1', agent: 'dev', provider: 'anthropic', model: 'claude-sonnet-4-5', usage, usd: 0.25 });
    await ledger.record({ at: DAY1, runId: 'r1', agent: 'rev', provider: 'openai', model: 'gpt-4o', usage, usd: 0.5 });
    await ledger.record({ at: DAY2, runId: 'r2', agent: 'dev', provider: 'anthropic', model: 'claude-sonnet-4-5', usage, usd: 1 });
    const lines = (await fs.readFile(file, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(JSON.parse(must(lines[1], 'lines[1]')).model, 'gpt-4o');
    const t = must(ledger.totals(), 't');
    assert.equal(t.total.usd, 1.75);
    assert.equal(t.byRun.r1?.usd, 0.75);
    assert.equal(t.byAgent.dev?.calls, 2);
    assert.equal(must(t.byModel['claude-sonnet-4-5'], `t.byModel['claude-sonnet-4-5']`).usd, 1.25);
    assert.deepEqual(Object.keys(t.byDay), ['2025-06-01', '2025-06-02']);
    assert.equal(t.total.cacheReadTokens, 600);
    assert.equal(of('cost_recorded').length, 3);
  });

  it('is read back by the next process, skipping (and reporting) a torn last line', async () => {
    const file = path.join(dir, 'costs.jsonl');
    const first = await CostLedger.open({ file, events: recordingBus().bus });
    await first.record({ agent: 'a', provider: 'openai', model: 'gpt-4o', usage, usd: 0.4 });
    await fs.appendFile(file, '{"at": 1, "agent": "a", "prov');
    const second = await CostLedger.open({ file, events: recordingBus().bus });
    assert.equal(second.spent(), 0.4);
    assert.deepEqual(second.invalidLines, [2]);
    // The next line starts fresh instead of being glued to the torn one.
    await second.record({ agent: 'a', provider: 'openai', model: 'gpt-4o', usage, usd: 0.1 });
    const third = await CostLedger.open({ file, events: recordingBus().bus });
    assert.equal(third.entries().length, 2);
  });

  it('exports JSON (requests, summary, budget_limit)', async () => {
    const ledger = await CostLedger.open({ file: path.join(dir, 'c.jsonl'), events: recordingBus().bus });
    await ledger.record({ at: DAY1, agent: 'a', provider: 'anthropic', model: 'm', usage, usd: 0.123 });
    const out = JSON.parse(ledger.export(10));
    assert.equal(out.requests[0].total_cost, 0.123);
    assert.equal(out.requests[0].cache_read_tokens, 200);
    assert.equal(out.summary.total_requests, 1);
    assert.equal(out.summary.total_tokens, 1500);
    assert.equal(out.summary.by_model.m.cost_usd, 0.123);
    assert.equal(out.budget_limit, 10);
  });

  it('counts a delegate\'s call against the agents it is charged to', async () => {
    const ledger = await CostLedger.open({ file: path.join(dir, 'c.jsonl'), events: recordingBus().bus });
    await ledger.record({ agent: 'helper', chargedTo: ['lead'], provider: 'openai', model: 'gpt-4o', usage, usd: 2 });
    assert.equal(ledger.spent('lead'), 2);
    assert.equal(ledger.spent('helper'), 2);
    assert.equal(ledger.spent('other'), 0);
  });
});

describe('BudgetGuard (over the shared state)', () => {
  const rules = { threshold: 5, openMs: 30_000, probeMaxMs: 60_000, enabled: true };
  const setup = (limits: { workspaceUsd: number | null; agentUsd: Record<string, number | null> }) => {
    const rec = recordingBus();
    const state = new MemoryState(() => Date.now());
    const guard = new BudgetGuard({ state, limits, events: rec.bus });
    /** Reserves as the gateway does (one admission), or throws the guard's error. */
    const reserve = async (agent: string, chargedTo: string[], usd: number, how = 'x') => {
      const claim = guard.claim(agent, chargedTo, usd);
      const admitted = await state.admit({ key: 'p:test', breaker: rules, ...(claim ? { budget: claim } : {}) });
      if (admitted.kind === 'refused') throw admitted.by === 'budget' ? guard.refused(admitted, usd, how) : new Error('breaker');
      return { release: (cost = 0) => state.settle(admitted.claim.id, cost) };
    };
    const spend = async (agent: string, usd: number) => (await reserve(agent, [], usd)).release(usd);
    return { state, guard, reserve, spend, ...rec };
  };

  it('warns once when spending reaches 80 % of the workspace budget', async () => {
    const { guard, spend, of } = setup({ workspaceUsd: 10, agentUsd: {} });
    await spend('a', 7.99);
    guard.checkWarnings('a');
    assert.equal(of('budget_warning').length, 0);
    await spend('a', 0.01);
    guard.checkWarnings('a');
    await spend('a', 0.5);
    guard.checkWarnings('a');
    assert.deepEqual(of('budget_warning').map((e) => [e.scope, e.budgetUsd]), [['workspace', 10]]);
  });

  it('refuses a call whose worst case would cross the budget, naming the budget and what is left', async () => {
    const { reserve, spend, of } = setup({ workspaceUsd: null, agentUsd: { dev: 1 } });
    await spend('dev', 0.9);
    await assert.rejects(
      reserve('dev', [], 0.2, '2,000 input tokens estimated + 4,096 max output'),
      (e: unknown) => isBudgetExceededError(e) && e.scope === 'agent' && e.budgetName === 'dev' && Math.abs(e.remainingUsd - 0.1) < 1e-9 && /agents\.dev\.budget_usd/.test(e.message) && /\$0\.10 is left/.test(e.message),
    );
    assert.equal(of('budget_refused').length, 1);
    // Another agent is not limited by dev's budget.
    await (await reserve('other', [], 0.2)).release();
  });

  it('holds concurrent reservations against the budget so parallel calls cannot jointly overshoot', async () => {
    const { guard, reserve } = setup({ workspaceUsd: 1, agentUsd: {} });
    const held = [await reserve('a', [], 0.4), await reserve('b', [], 0.4)];
    await assert.rejects(reserve('c', [], 0.4), isBudgetExceededError);
    await must(held[0], 'held[0]').release();
    await reserve('c', [], 0.4);
    assert.ok(Math.abs(guard.status().workspace!.remainingUsd - 0.2) < 1e-9);
  });

  it('charges a delegate\'s call to its caller\'s budget too', async () => {
    const { reserve, spend } = setup({ workspaceUsd: null, agentUsd: { lead: 1 } });
    await spend('lead', 0.95);
    await assert.rejects(reserve('helper', ['lead'], 0.1), (e: unknown) => isBudgetExceededError(e) && e.budgetName === 'lead');
  });

  it('a reservation whose process stopped renewing it is charged at its worst case; a late settle corrects it', async () => {
    let now = 1_000_000;
    const state = new MemoryState(() => now);
    const guard = new BudgetGuard({ state, limits: { workspaceUsd: 1, agentUsd: {} }, events: recordingBus().bus, clock: () => now });
    const admitted = await state.admit({ key: 'p:test', breaker: rules, budget: guard.claim('a', [], 0.6)! });
    now += 10 * 60_000;
    await state.admit({ key: 't:read', breaker: rules }); // any record moves the shared clock on: the lease has lapsed
    assert.equal(guard.status().workspace!.spentUsd, 0.6);
    await state.settle(admitted.claim.id, 0.1);
    assert.ok(Math.abs(guard.status().workspace!.spentUsd - 0.1) < 1e-9);
  });
});
