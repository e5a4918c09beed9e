import type { BreakerRow, BreakwaterStatus, HealthReport } from '../core/breakwater';
import type { BreakerView, HealthEntry, RunListItem, StatusSnapshot } from './coreFacade';

/**
 * The core's `--status --json` object as the tree, the status bar and the chat show it. An open
 * breaker whose probe time has passed is shown as half-open: the next call through it is the probe
 * (the core flips it lazily, when that call arrives), and the user sees the state as it truly is.
 */
export function toSnapshot(status: BreakwaterStatus, runs: readonly RunListItem[], now: number): StatusSnapshot {
  const budget = status.costs.budget;
  return {
    providers: status.breakers.providers.map((b) => toBreakerView(b, now)),
    tools: status.breakers.tools.map((b) => toBreakerView(b, now)),
    costs: {
      totalUsd: status.costs.total_usd,
      // The ledger keeps no per-day split yet: today's figure is the workspace total.
      todayUsd: budget.spent_usd,
      budgetUsd: budget.budget_usd,
      byAgent: status.costs.by_agent,
      byModel: status.costs.by_model,
    },
    runs,
  };
}

export function toBreakerView(row: BreakerRow, now: number): BreakerView {
  const retryAt = row.retry_at === undefined ? undefined : Date.parse(row.retry_at);
  const due = row.state === 'open' && retryAt !== undefined && !Number.isNaN(retryAt) && retryAt <= now;
  return {
    name: row.name,
    state: due ? 'half_open' : row.state,
    failures: row.failures,
    successes: row.successes,
    calls: row.calls,
    avgMs: row.avg_ms,
    ...(retryAt !== undefined && !Number.isNaN(retryAt) ? { retryAt } : {}),
  };
}

/** `--health` per agent: one row each, saying which provider and model answered or why not. */
export function toHealth(report: HealthReport): HealthEntry[] {
  return Object.entries(report.agents).map(([agent, r]) => ({
    name: `@${agent} (${r.provider} · ${r.model})`,
    ok: r.ok,
    detail: r.ok ? 'ok' : (r.error ?? 'failed'),
    latencyMs: r.ms,
  }));
}
