import type { ConfigStatus } from '../config/configStatus';
import type { BreakwaterConfig, ProviderKind } from '../config/schema';
import type { ModelGateway } from '../resilience/modelGateway';
import { healthCheck } from '../resilience/healthCheck';
import { providerBreakerStatus, type ProviderBreakerStatus } from '../resilience/policyStats';
import { ResilientModelGateway } from '../resilience/resilientModelGateway';
import type { RunStore, RunListStatus, RunSummary } from '../runs/runStore';
import type { SandboxStatus } from '../sandbox/commandSandbox';
import type { ToolEngine } from '../tools/types';

/** One breaker row of `--status --json` (README, "CLI"): a provider endpoint (`kind@url`) or a tool, with its fleet stats. */
export interface BreakerRow extends Omit<ProviderBreakerStatus, 'rate_limit' | 'consecutive_failures'> {
  readonly name: string;
  /** Providers only: consecutive transient failures counted toward opening, in every process. */
  readonly consecutive_failures?: number;
  /** Providers only: requests in the last minute against the limit, and callers waiting. */
  readonly rate_limit?: ProviderBreakerStatus['rate_limit'];
}

/** The `--status --json` object: breakers (per provider endpoint and per tool), costs, runs. */
export interface BreakwaterStatus {
  readonly breakers: { readonly providers: BreakerRow[]; readonly tools: BreakerRow[] };
  readonly costs: {
    readonly total_usd: number;
    /** Spent today (the UTC day of the core's clock), from the ledger's per-day totals. */
    readonly today_usd: number;
    readonly by_agent: Record<string, number>;
    readonly by_model: Record<string, number>;
    /**
     * The workspace budget as every process sharing it sees it: spent (including calls whose process died
     * mid-call, at their worst case) and reserved by calls in flight anywhere.
     */
    readonly budget: { readonly budget_usd: number | null; readonly spent_usd: number; readonly reserved_usd: number; readonly remaining_usd: number | null; readonly warning: boolean; readonly unknown?: string };
  };
  /** Where limits, breakers and budgets are shared: `file` (the store folder), `redis` or `memory` (this process only). */
  readonly state: { readonly backend: 'memory' | 'file' | 'redis'; readonly location: string };
  /**
   * A page, not every run (`--runs` lists them all): the runs that need attention (running, waiting
   * on a human, interrupted, damaged; at most `STATUS_OPEN_RUNS`), then the most recently updated
   * others, up to `STATUS_RECENT_RUNS` rows in all when there is room; newest first.
   */
  readonly runs: RunRow[];
  /** How many runs the store holds, by status (`total` included), so a caller knows what the page leaves out. */
  readonly run_counts: Record<RunListStatus | 'total', number>;
  /** The config's two files, where each value came from, and the workspace's sensitive values (set by the core). */
  readonly config?: ConfigStatus;
  /** Whether agents' commands run in the OS sandbox, and why not. */
  readonly sandbox: SandboxStatus;
}

/** One row of `--runs --json` and of status' `runs`. */
export interface RunRow {
  run_id: string;
  agent: string;
  status: RunListStatus;
  started_at: string;
  updated_at: string;
  kind: 'run' | 'task';
  cost_usd: number;
  pending_approvals: number;
  /** `--resume` continues it (waiting on a human, or interrupted). */
  resumable: boolean;
  /** Why it stopped or cannot be read (interrupted, failed, damaged). */
  error?: string;
  /** The typed kind of the failure (interrupted by one, or failed). */
  failure_kind?: string;
  /** What interrupted it: crashed, cancelled, or failure. */
  interruption?: string;
  /** A damaged log: where (file:line) and what was wrong. */
  damage?: { file: string; line: number; detail: string };
  parent_run_id?: string;
  task_run_id?: string;
}

/** Runs that need attention shown by status (at most). */
export const STATUS_OPEN_RUNS = 50;
/** Rows status shows in all when there is room for recent finished runs. */
export const STATUS_RECENT_RUNS = 20;

/** `now`: epoch ms that decides which UTC day is "today"; defaults to `Date.now()`. */
export function buildStatus(deps: { gateway: ModelGateway; tools: ToolEngine; store: RunStore; config: BreakwaterConfig; now?: number }): BreakwaterStatus {
  let providers: BreakerRow[] = [];
  let total = 0;
  let spent: number | undefined;
  let reserved = 0;
  let unknown: string | undefined;
  let state: BreakwaterStatus['state'] = { backend: 'memory', location: 'memory' };
  let today = 0;
  const byAgent: Record<string, number> = {};
  const byModel: Record<string, number> = {};
  if (deps.gateway instanceof ResilientModelGateway) {
    providers = Object.entries(providerBreakerStatus(deps.gateway.registry)).map(([name, b]) => ({ name, ...b }));
    const t = deps.gateway.ledger.totals();
    total = round(t.total.usd);
    today = round(t.byDay[utcDay(deps.now ?? Date.now())]?.usd ?? 0);
    for (const [k, v] of Object.entries(t.byAgent)) byAgent[k] = round(v.usd);
    for (const [k, v] of Object.entries(t.byModel)) byModel[k] = round(v.usd);
    const shared = deps.gateway.registry.state;
    const b = shared.view().budget;
    spent = round(b.spent.workspace ?? 0);
    reserved = round(b.reserved.workspace ?? 0);
    unknown = b.unknown;
    state = { backend: shared.backend, location: shared.location };
  }
  const tools: BreakerRow[] = deps.tools.stats().map((s) => ({
    name: s.tool,
    state: s.state,
    failures: s.failures,
    successes: s.successes,
    calls: s.calls,
    avg_ms: Math.round(s.avgMs),
    ...(s.retryAt ? { retry_at: new Date(s.retryAt).toISOString() } : {}),
  }));
  const budget = deps.config.settings.budget_usd;
  // The shared figure counts every process (and any spending before this ledger); the ledger is this store's.
  const spentUsd = Math.max(spent ?? 0, total);
  return {
    breakers: { providers, tools },
    costs: {
      total_usd: total,
      today_usd: today,
      by_agent: byAgent,
      by_model: byModel,
      budget: {
        budget_usd: budget,
        spent_usd: spentUsd,
        reserved_usd: reserved,
        remaining_usd: budget === null ? null : round(Math.max(0, budget - spentUsd - reserved)),
        warning: budget !== null && spentUsd >= budget * 0.8,
        ...(unknown !== undefined ? { unknown } : {}),
      },
    },
    ...statusRuns(deps.store.list()),
    sandbox: sandboxStatusOf(deps.tools, deps.config),
    state,
  };
}

function sandboxStatusOf(tools: ToolEngine, config: BreakwaterConfig): SandboxStatus {
  const settings = { mode: config.settings.sandbox.mode, networkAllow: config.settings.sandbox.network_allow };
  return tools.sandboxStatus?.(settings) ?? { available: false, mode: settings.mode, kind: 'none', reason: 'this core runs with a custom tool engine that does not say' };
}

/** Status' page of runs and the counts by status (see `BreakwaterStatus.runs`). */
export function statusRuns(all: readonly RunSummary[]): Pick<BreakwaterStatus, 'runs' | 'run_counts'> {
  const counts: Record<RunListStatus | 'total', number> = { total: all.length, running: 0, waiting_on_human: 0, interrupted: 0, completed: 0, failed: 0, damaged: 0 };
  for (const r of all) counts[r.status]++;
  const byUpdate = [...all].sort((a, b) => b.updatedAt - a.updatedAt);
  const open = byUpdate.filter((r) => r.status !== 'completed' && r.status !== 'failed').slice(0, STATUS_OPEN_RUNS);
  const rest = byUpdate.filter((r) => r.status === 'completed' || r.status === 'failed').slice(0, Math.max(0, STATUS_RECENT_RUNS - open.length));
  const shown = new Set([...open, ...rest]);
  return { runs: byUpdate.filter((r) => shown.has(r)).map(runRow), run_counts: counts };
}

/** A run summary as `--runs --json` prints it. */
export function runRow(r: RunSummary): RunRow {
  const row: RunRow = {
    run_id: r.runId,
    agent: r.agent,
    status: r.status,
    started_at: new Date(r.startedAt).toISOString(),
    updated_at: new Date(r.updatedAt).toISOString(),
    kind: r.kind,
    cost_usd: Math.round(r.costUsd * 1e6) / 1e6,
    pending_approvals: r.pendingApprovals,
    resumable: r.status === 'waiting_on_human' || r.status === 'interrupted',
  };
  if (r.status === 'interrupted') {
    row.error = r.error;
    row.interruption = r.interruption.kind;
    if (r.interruption.kind === 'failure') row.failure_kind = r.interruption.failure.kind;
  }
  if (r.status === 'failed') {
    row.error = r.error;
    row.failure_kind = r.failure.kind;
  }
  if (r.status === 'damaged') {
    row.error = r.error;
    row.damage = { file: r.damage.file, line: r.damage.line, detail: r.damage.detail };
  }
  if (r.parentRunId !== undefined) row.parent_run_id = r.parentRunId;
  if (r.taskRunId !== undefined) row.task_run_id = r.taskRunId;
  return row;
}

/** `--health --json`: per agent, did a minimal call through the shared policies answer? */
export interface HealthReport {
  readonly healthy: boolean;
  readonly agents: Record<string, { readonly provider: ProviderKind; readonly model: string; readonly ok: boolean; readonly breaker: string; readonly ms: number; readonly error?: string }>;
}

export async function checkHealth(deps: { gateway: ModelGateway; config: BreakwaterConfig; signal: AbortSignal; clock?: () => number }): Promise<HealthReport> {
  if (!(deps.gateway instanceof ResilientModelGateway)) throw new Error('health needs the resilient gateway (its policies say which breaker each agent uses)');
  const results = await healthCheck({ config: deps.config, gateway: deps.gateway, registry: deps.gateway.registry, signal: deps.signal, ...(deps.clock ? { clock: deps.clock } : {}) });
  const agents: HealthReport['agents'] = {};
  for (const r of results) agents[r.agent] = { provider: r.provider, model: r.model, ok: r.ok, breaker: r.breaker, ms: r.latencyMs, ...(r.ok ? {} : { error: r.error }) };
  return { healthy: results.every((r) => r.ok), agents };
}

/** `YYYY-MM-DD` of the UTC day, the key of the ledger's `byDay`. */
function utcDay(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
