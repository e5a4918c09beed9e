import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { BreakwaterConfig } from '../config/schema';
import type { AnswerCache } from '../resilience/answerCache';
import { isFallbackTrigger, runWithFallback, type EscalationChoice, type EscalationRequest } from '../resilience/fallback';
import type { ModelGateway } from '../resilience/modelGateway';
import type { RunState } from '../runs/runState';
import type { FallbackRunner } from './runtime';

export interface FallbackRunnerDeps {
  readonly config: () => BreakwaterConfig;
  readonly gateway: ModelGateway;
  readonly cache: AnswerCache;
  readonly events: Emitter<CoreEvent>;
  /** Runs another agent as its own run (degrade / decompose to an agent). */
  readonly runAgent: (agent: string, prompt: string, signal: AbortSignal) => Promise<RunState>;
  /** escalate: asks the user; without a human the answer is `cancel`. */
  readonly askUser?: (request: EscalationRequest) => Promise<EscalationChoice>;
  readonly clock?: () => number;
}

/**
 * The fallback strategies (resilience/fallback.ts) applied when an agent's model call failed for a
 * reason a fallback should answer (open breaker, transient failure after retries). The answer keeps
 * the strategy's notice in front, so it is never mistaken for a fresh answer of the agent.
 */
export function createFallbackRunner(deps: FallbackRunnerDeps): FallbackRunner {
  return async (request) => {
    const agent = deps.config().agents[request.agentName];
    const fallback = agent?.fallback;
    if (!agent || !fallback || !isFallbackTrigger(request.error, fallback.strategy)) return undefined;
    const provider = agent.provider ?? deps.config().settings.default_provider;
    const callModel = async (model: string, prompt: string, signal: AbortSignal) =>
      (await deps.gateway.call({ provider, model }, { system: agent.role, messages: [{ role: 'user', text: prompt }], tools: [], maxTokens: agent.max_tokens }, { agentName: request.agentName, runId: request.runId, signal })).text;
    let first = true;
    const outcome = await runWithFallback(
      async (signal) => {
        // The first "primary" is the call that already failed; an escalate retry calls the model again.
        if (first) {
          first = false;
          throw request.error;
        }
        return callModel(agent.model ?? deps.config().settings.default_model, request.prompt, signal);
      },
      fallback,
      {
        agentName: request.agentName,
        prompt: request.prompt,
        runAgent: async (name, prompt, signal) => {
          const s = await deps.runAgent(name, prompt, signal);
          if (s.status !== 'completed') throw new Error(`fallback agent ${name} did not answer (run ${s.runId} ${s.status}${s.error ? `: ${s.error}` : ''})`);
          return s.output;
        },
        runModel: callModel,
        askUser: deps.askUser ?? (async () => 'cancel'),
        cache: deps.cache,
        events: deps.events,
        signal: request.signal,
        ...(deps.clock ? { clock: deps.clock } : {}),
      },
    );
    if (outcome.kind === 'primary') return { text: outcome.text, strategy: fallback.strategy, detail: 'the user retried and the agent answered' };
    return { text: `${outcome.notice}\n\n${outcome.text}`, strategy: fallback.strategy, detail: outcome.notice };
  };
}
