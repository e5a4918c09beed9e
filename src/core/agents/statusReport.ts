import type { BreakwaterConfig, ProviderKind } from '../config/schema';
import type { SecretSource } from '../providers/types';
import type { ModelGateway } from '../resilience/modelGateway';
import { ResilientModelGateway } from '../resilience/resilientModelGateway';
import type { RunStore } from '../runs/runStore';
import type { ToolEngine } from '../tools/types';

/** One breaker row of `--status --json` (PRODUCT.md). */
export interface BreakerRow {
  readonly name: string;
  readonly state: 'closed' | 'open' | 'half_open';
  readonly failures: number;
  readonly successes: number;
  readonly calls: number;
  readonly avg_ms: number;
  readonly retry_at?: string;
}

/** The `--status --json` object: breakers, costs, runs. */
export interface BreakwaterStatus {
  readonly breakers: { readonly providers: BreakerRow[]; readonly tools: BreakerRow[] };
  readonly costs: {
    readonly total_usd: number;
    readonly by_agent: Record<string, number>;
    readonly by_model: Record<string, number>;
    readonly budget: { readonly budget_usd: number | null; readonly spent_usd: number; readonly remaining_usd: number | null; readonly warning: boolean };
  };
  readonly runs: { run_id: string; agent: string; status: string; started_at: string; updated_at: string }[];
}

export function buildStatus(deps: { gateway: ModelGateway; tools: ToolEngine; store: RunStore; config: BreakwaterConfig }): BreakwaterStatus {
  const providers: BreakerRow[] = [];
  let total = 0;
  const byAgent: Record<string, number> = {};
  const byModel: Record<string, number> = {};
  if (deps.gateway instanceof ResilientModelGateway) {
    for (const name of deps.gateway.registry.names()) {
      const s = deps.gateway.registry.get(name)?.stats();
      if (s) providers.push({ name, state: s.state, failures: s.failures, successes: s.successes, calls: s.calls, avg_ms: s.avg_ms, ...(s.retryAt ? { retry_at: new Date(s.retryAt).toISOString() } : {}) });
    }
    const t = deps.gateway.ledger.totals();
    total = round(t.total.usd);
    for (const [k, v] of Object.entries(t.byAgent)) byAgent[k] = round(v.usd);
    for (const [k, v] of Object.entries(t.byModel)) byModel[k] = round(v.usd);
  }
  const tools = deps.tools.stats().map((s) => ({ name: s.tool, state: s.state, failures: s.failures, successes: s.successes, calls: s.calls, avg_ms: Math.round(s.avgMs), ...(s.retryAt ? { retry_at: new Date(s.retryAt).toISOString() } : {}) }));
  const budget = deps.config.settings.budget_usd;
  return {
    breakers: { providers, tools },
    costs: {
      total_usd: total,
      by_agent: byAgent,
      by_model: byModel,
      budget: { budget_usd: budget, spent_usd: total, remaining_usd: budget === null ? null : round(Math.max(0, budget - total)), warning: budget !== null && total >= budget * 0.8 },
    },
    runs: runRows(deps.store),
  };
}

export function runRows(store: RunStore): BreakwaterStatus['runs'] {
  return store.list().map((r) => ({ run_id: r.runId, agent: r.agent, status: r.status, started_at: new Date(r.startedAt).toISOString(), updated_at: new Date(r.updatedAt).toISOString() }));
}

/** `--health`: per agent, can its provider be reached? One tiny call each, through the shared policies. */
export interface HealthReport {
  readonly healthy: boolean;
  readonly agents: Record<string, { readonly provider: ProviderKind; readonly model: string; readonly ok: boolean; readonly error?: string; readonly ms: number }>;
}

export async function checkHealth(deps: { gateway: ModelGateway; config: BreakwaterConfig; secrets: SecretSource; signal: AbortSignal; clock?: () => number }): Promise<HealthReport> {
  const clock = deps.clock ?? Date.now;
  const entries = await Promise.all(
    Object.entries(deps.config.agents).map(async ([name, agent]) => {
      const provider = agent.provider ?? deps.config.settings.default_provider;
      const model = agent.model ?? deps.config.settings.default_model;
      const started = clock();
      try {
        if (provider !== 'ollama' && !(await deps.secrets.getApiKey(provider))) throw new Error(`no API key for ${provider}; set ${provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY'}`);
        await deps.gateway.call({ provider, model }, { system: 'Health check.', messages: [{ role: 'user', text: 'Reply with OK.' }], tools: [], maxTokens: 5 }, { agentName: name, signal: deps.signal });
        return [name, { provider, model, ok: true, ms: clock() - started }] as const;
      } catch (e) {
        return [name, { provider, model, ok: false, error: e instanceof Error ? e.message : String(e), ms: clock() - started }] as const;
      }
    }),
  );
  const agents: HealthReport['agents'] = Object.fromEntries(entries);
  return { healthy: Object.values(agents).every((a) => a.ok), agents };
}

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
