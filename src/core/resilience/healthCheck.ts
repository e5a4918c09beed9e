import type { BreakerState } from '../common/coreEvents';
import type { BreakwaterConfig, ProviderKind } from '../config/schema';
import { resolveModel } from '../providers/modelAliases';
import type { ModelGateway } from './modelGateway';
import type { PolicyRegistry } from './policyRegistry';
import { systemClock, type Clock } from './timers';

export type AgentHealth =
  | { readonly agent: string; readonly ok: true; readonly provider: ProviderKind; readonly model: string; readonly latencyMs: number; readonly breaker: BreakerState }
  | { readonly agent: string; readonly ok: false; readonly provider: ProviderKind; readonly model: string; readonly latencyMs: number; readonly breaker: BreakerState; readonly error: string };

export interface HealthCheckOptions {
  readonly config: BreakwaterConfig;
  readonly gateway: ModelGateway;
  readonly registry: PolicyRegistry;
  readonly signal: AbortSignal;
  readonly clock?: Clock;
  /** Only these agents; defaults to all. */
  readonly agents?: readonly string[];
}

/**
 * The CLI's `--health`: one minimal call per agent (8 output tokens) through the same gateway, so
 * the same limiter, breaker and budget apply — an open breaker reports at once instead of calling.
 * Agents are checked one after another so a health check never bursts the rate limit.
 */
export async function healthCheck(options: HealthCheckOptions): Promise<AgentHealth[]> {
  const clock = options.clock ?? systemClock;
  const names = options.agents ?? Object.keys(options.config.agents);
  const results: AgentHealth[] = [];
  for (const agent of names) {
    const def = options.config.agents[agent];
    if (!def) throw new Error(`No agent "${agent}" in the config; known agents: ${Object.keys(options.config.agents).join(', ') || 'none'}`);
    const provider = def.provider ?? options.config.settings.default_provider;
    const alias = def.model ?? options.config.settings.default_model;
    let model = alias;
    const started = clock();
    try {
      model = resolveModel(provider, alias);
      const turn = await options.gateway.call(
        { provider, model },
        { system: 'Health check. Reply with the single word OK.', messages: [{ role: 'user', text: 'ping' }], tools: [], maxTokens: 8 },
        { agentName: agent, signal: options.signal },
      );
      results.push({ agent, ok: true, provider, model: turn.model, latencyMs: clock() - started, breaker: breakerOf(options, provider) });
    } catch (err) {
      if (options.signal.aborted) throw err;
      results.push({ agent, ok: false, provider, model, latencyMs: clock() - started, breaker: breakerOf(options, provider), error: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

/** The config has one endpoint per provider kind, so its policy is the one named `kind@…`. */
function breakerOf(options: HealthCheckOptions, provider: ProviderKind): BreakerState {
  const name = options.registry.names().find((n) => n.startsWith(`${provider}@`));
  return name === undefined ? 'closed' : (options.registry.get(name)?.breaker.state ?? 'closed');
}
