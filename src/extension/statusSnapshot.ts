import type { BreakerRow, BreakwaterStatus, HealthReport } from '../core/index';
import type { BreakerView, HealthEntry, RunListItem, SandboxView, StatusSnapshot } from './coreViews';

/**
 * The core's `--status --json` object as the tree, the status bar and the chat show it, and the
 * words they show. Pure (no vscode): the callers pass `vscode.l10n.t` as `t`, tests a plain formatter.
 */

/** `vscode.l10n.t`'s shape: a message with `{0}`-style placeholders and its arguments. */
export type Translate = (message: string, ...args: (string | number | boolean)[]) => string;

/** Fills `{0}`, `{1}`… without translating (the default, and what tests use). */
export const untranslated: Translate = (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (args[Number(i)] === undefined ? m : String(args[Number(i)])));

/**
 * An open breaker whose probe time has passed is shown as half-open: the next call through it is
 * the probe (the core flips it lazily, when that call arrives), and the user sees the state as it truly is.
 */
export function toSnapshot(status: BreakwaterStatus, runs: readonly RunListItem[], now: number): StatusSnapshot {
  return {
    providers: status.breakers.providers.map((b) => toBreakerView(b, now)),
    tools: status.breakers.tools.map((b) => toBreakerView(b, now)),
    costs: {
      totalUsd: status.costs.total_usd,
      todayUsd: status.costs.today_usd,
      budgetUsd: status.costs.budget.budget_usd,
      byAgent: status.costs.by_agent,
      byModel: status.costs.by_model,
    },
    runs,
    ...(status.config ? { config: status.config } : {}),
    sandbox: status.sandbox,
  };
}

/** "Commands: sandboxed (bubblewrap)", or not sandboxed and why, in words for the Status tree. */
export function toSandboxView(s: NonNullable<StatusSnapshot['sandbox']>, t: Translate = untranslated): SandboxView {
  if (s.kind !== 'none') {
    return { state: 'sandboxed', label: t('Commands: sandboxed'), description: s.kind, tooltip: s.reason ? t('Commands run in the OS sandbox ({0}). Note: {1}', s.kind, s.reason) : t('Commands run in the OS sandbox ({0}): workspace-only writes, no secrets, no network unless allowed.', s.kind) };
  }
  if (s.mode === 'required') return { state: 'refused', label: t('Commands: refused'), description: t('the sandbox is required but cannot start'), tooltip: s.reason ?? '' };
  return { state: 'unsandboxed', label: t('Commands: not sandboxed'), description: t('each command asks every time'), tooltip: s.reason ?? '' };
}

export function toBreakerView(row: BreakerRow, now: number): BreakerView {
  const retryAt = row.retry_at === undefined ? undefined : Date.parse(row.retry_at);
  const due = row.state === 'open' && retryAt !== undefined && !Number.isNaN(retryAt) && retryAt <= now;
  const rl = row.rate_limit;
  return {
    name: row.name,
    state: due ? 'half_open' : row.state,
    failures: row.failures,
    successes: row.successes,
    calls: row.calls,
    avgMs: row.avg_ms,
    ...(retryAt !== undefined && !Number.isNaN(retryAt) ? { retryAt } : {}),
    ...(rl ? { rateLimit: { used: rl.used, limit: rl.limit, queued: rl.queued, tokensUsed: rl.tokens_used, tokensLimit: rl.tokens_limit } } : {}),
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

/** "42s" or "2m 5s" until `retryAt` (never negative); empty without a time. */
export function formatRetryIn(retryAt: number | undefined, now: number): string {
  if (retryAt === undefined) return '';
  const s = Math.max(0, Math.ceil((retryAt - now) / 1000));
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

/**
 * A breaker row of the tree, with its fleet stats: state, calls, average latency, failures, time
 * to the next probe, and for providers the rate limit's use in its one-minute window. Every figure is the
 * shared one — what every process using the same store (or Redis) did — so a CLI run elsewhere shows here.
 */
export function breakerParts(b: BreakerView, now: number, t: Translate = untranslated): { description: string[]; tooltip: string[] } {
  const parts = [b.state === 'half_open' ? 'half-open' : b.state, t('{0} calls', b.calls), t('avg {0} ms', Math.round(b.avgMs))];
  if (b.failures > 0) parts.push(t('{0} failures', b.failures));
  if (b.state === 'open' && b.retryAt !== undefined) parts.push(t('probe in {0}', formatRetryIn(b.retryAt, now)));
  const tooltip = [b.name, ...parts, t('{0} successes', b.successes), t('Counted across every process that shares this store or state server')];
  const rl = b.rateLimit;
  if (rl) {
    parts.push(t('rate {0}/{1} per min', rl.used, rl.limit));
    if (rl.queued !== undefined && rl.queued > 0) parts.push(t('{0} waiting', rl.queued));
    tooltip.push(t('Rate limit: {0} of {1} requests in the last minute ({2} %)', rl.used, rl.limit, rl.limit > 0 ? Math.round((rl.used / rl.limit) * 100) : 0));
    if (rl.tokensUsed !== undefined) tooltip.push(rl.tokensLimit ? t('Tokens: {0} of {1} in the last minute', rl.tokensUsed, rl.tokensLimit) : t('Tokens: {0} in the last minute (no limit)', rl.tokensUsed));
    if (rl.queued !== undefined && rl.queued > 0) tooltip.push(t('{0} callers waiting for the limit, in every process', rl.queued));
  }
  return { description: parts, tooltip };
}

/** What the status-bar item shows: today's cost against the budget, and whether it needs attention. */
export interface CostBarView {
  readonly text: string;
  /** A breaker is open, or the budget is more than 80 % spent. */
  readonly warning: boolean;
  readonly tooltip: string[];
}

export function costBarView(s: Pick<StatusSnapshot, 'providers' | 'tools' | 'costs'>, t: Translate = untranslated): CostBarView {
  const { budgetUsd, todayUsd, totalUsd } = s.costs;
  const broken = [...s.providers, ...s.tools].filter((b) => b.state === 'open');
  const overBudget = budgetUsd !== null && budgetUsd > 0 && totalUsd / budgetUsd > 0.8;
  const tooltip = [t('Breakwater — today {0}, total {1}', `$${todayUsd.toFixed(4)}`, `$${totalUsd.toFixed(4)}`)];
  if (budgetUsd !== null) tooltip.push(t('Budget {0} ({1} % used)', `$${budgetUsd.toFixed(2)}`, Math.round((totalUsd / Math.max(budgetUsd, 1e-9)) * 100)));
  for (const b of broken) tooltip.push(t('Breaker open: {0}', b.name));
  return { text: `$(shield) $${todayUsd.toFixed(2)}${budgetUsd === null ? '' : ` / $${budgetUsd.toFixed(2)}`}`, warning: broken.length > 0 || overBudget, tooltip };
}
