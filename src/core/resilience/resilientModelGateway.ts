import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { BreakwaterConfig, ProviderKind } from '../config/schema';
import { BudgetGuard, type BudgetLimits } from '../cost/budget';
import { CostLedger } from '../cost/costLedger';
import { costOf, PriceTable } from '../cost/priceTable';
import { estimateInputTokens } from '../providers/estimateTokens';
import { openSharedState } from '../cost/openSharedState';
import type { SharedState } from '../state/sharedState';
import { asStoreWriteError } from '../store/storeFaults';
import { resolveModel } from '../providers/modelAliases';
import { createProvider, type CreateProviderOptions } from '../providers/providerFactory';
import { ZERO_USAGE, type ChatRequest, type LlmProvider, type SecretSource, type StopReason, type Usage } from '../providers/types';
import type { StoreLayout } from '../store/storeLayout';
import type { ModelCallOptions, ModelGateway, ModelTarget, ModelTurn } from './modelGateway';
import { PolicyRegistry } from './policyRegistry';
import { policySettingsFrom } from './providerPolicy';
import { systemClock, type Clock } from './timers';
import { asError } from '../common/asError';

export type ProviderFactory = (kind: ProviderKind, options: CreateProviderOptions) => LlmProvider;

export interface ResilientModelGatewayOptions {
  readonly config: BreakwaterConfig;
  /** The process-wide registry (one policy per endpoint). */
  readonly registry: PolicyRegistry;
  readonly ledger: CostLedger;
  readonly secrets: SecretSource;
  readonly events: Emitter<CoreEvent>;
  /** Defaults to the real providers (`createProvider`). */
  readonly providerFactory?: ProviderFactory;
  /** Environment for the SDKs' base-URL variables; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: Clock;
  /** Durable state that could not be read (a damaged ledger line, …); default: re-thrown asynchronously. */
  readonly onStoreError?: (err: Error) => void;
}

export interface OpenGatewayOptions extends Omit<ResilientModelGatewayOptions, 'registry' | 'ledger'> {
  /** The cost ledger lives here (and the shared state, unless `state` is given). */
  readonly store: StoreLayout;
  /** Limits, breakers and budgets shared with other processes; default: opened from `config.state`. */
  readonly state?: SharedState;
}

type TurnToolCalls = ModelTurn['toolCalls'][number];

/**
 * The one way agents call a model (see `ModelGateway`): budget reservation before sending → the
 * endpoint's shared policy (limiter, breaker, retry, timeout) → stream, assemble, price, record.
 */
export class ResilientModelGateway implements ModelGateway {
  private config: BreakwaterConfig;
  private prices: PriceTable;
  readonly budget: BudgetGuard;
  private readonly providers = new Map<string, LlmProvider>();
  private readonly clock: Clock;
  private readonly createProvider: ProviderFactory;
  private readonly onStoreError: (err: Error) => void;

  constructor(private readonly options: ResilientModelGatewayOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.prices = new PriceTable(options.config.settings.prices);
    this.createProvider = options.providerFactory ?? createProvider;
    this.onStoreError = options.onStoreError ?? ((err) => queueMicrotask(() => { throw err; }));
    this.budget = new BudgetGuard({ state: options.registry.state, limits: budgetLimits(options.config), events: options.events, clock: this.clock });
  }

  /** Builds the gateway with its registry and ledger opened from the store (the composition roots use this). */
  static async open(options: OpenGatewayOptions): Promise<ResilientModelGateway> {
    const clock = options.clock ?? systemClock;
    const state = options.state ?? (await openSharedState({ config: options.config.state, layout: options.store, env: options.env ?? process.env, clock })).state;
    const registry = await PolicyRegistry.open({ settings: policySettingsFrom(options.config.settings), events: options.events, state, clock });
    const ledger = await CostLedger.open({ file: options.store.costLedger, events: options.events, clock: options.clock });
    if (ledger.invalidLines.length > 0) {
      const n = ledger.invalidLines;
      (options.onStoreError ?? ((err) => queueMicrotask(() => { throw err; })))(
        new Error(`${options.store.costLedger} line${n.length > 1 ? 's' : ''} ${n.slice(0, 5).join(', ')}${n.length > 5 ? ', …' : ''} ${n.length > 1 ? 'are' : 'is'} damaged and left out of the cost totals; budgets count spending from the shared state (or refuse to spend while it cannot be rebuilt).`),
      );
    }
    const gateway = new ResilientModelGateway({ ...options, registry, ledger });
    await gateway.registerConfiguredEndpoints();
    return gateway;
  }

  /**
   * Creates the shared policy of every endpoint a configured agent uses, so status (the tree view,
   * `--status`) lists each provider from the start — with its persisted breaker — not only after a call.
   */
  async registerConfiguredEndpoints(): Promise<void> {
    const kinds = new Set<ProviderKind>(Object.values(this.config.agents).map((a) => a.provider ?? this.config.settings.default_provider));
    for (const kind of kinds) {
      const provider = await this.providerFor(kind);
      this.options.registry.policyFor(kind, provider.endpoint);
    }
  }

  get registry(): PolicyRegistry {
    return this.options.registry;
  }

  get ledger(): CostLedger {
    return this.options.ledger;
  }

  /** Resolves when every cost line so far is on disk (call before the CLI exits); shared-state records are written as they happen. */
  async flush(): Promise<void> {
    await this.options.ledger.flush();
  }

  /** Applies a reloaded config: limits, budgets, prices, endpoints. */
  reconfigure(config: BreakwaterConfig): void {
    this.config = config;
    this.prices = new PriceTable(config.settings.prices);
    this.budget.reconfigure(budgetLimits(config));
    this.options.registry.reconfigure(policySettingsFrom(config.settings));
    this.providers.clear();
    this.registerConfiguredEndpoints().catch((err: unknown) => this.onStoreError(new Error('Could not register the endpoints of the reloaded config', { cause: err })));
  }

  async call(target: ModelTarget, request: Omit<ChatRequest, 'model' | 'signal'>, options: ModelCallOptions): Promise<ModelTurn> {
    const model = resolveModel(target.provider, target.model);
    const provider = await this.providerFor(target.provider);
    const policy = this.options.registry.policyFor(target.provider, provider.endpoint);
    const inputEstimate = estimateInputTokens(request);
    const price = this.prices.lookup(target.provider, model);
    const worstCase = costOf(price.price, { ...ZERO_USAGE, inputTokens: inputEstimate, outputTokens: request.maxTokens });
    const how = `at most ${inputEstimate} input tokens (one per byte of UTF-8, a bound for any script) + ${request.maxTokens} max output tokens, at ${model} prices (${price.source})`;
    const chargedTo = options.chargedTo ?? [];
    const budget = this.budget.claim(options.agentName, chargedTo, worstCase);
    let reservation: string | undefined;
    let costUsd = 0;

    let attempts = 0;
    let partial = '';
    try {
      // One admission takes the breaker check, the budget reservation and the rate-limit slot, shared with
      // every process; an open breaker or a refused budget throws before anything is sent.
      const turn = await policy.execute(
        async ({ signal, attemptNo }) => {
          attempts = attemptNo;
          partial = '';
          let text = '';
          const toolCalls: TurnToolCalls[] = [];
          let usage: Usage = ZERO_USAGE;
          let stopReason: StopReason = 'other';
          for await (const event of provider.stream({ ...request, model, signal })) {
            switch (event.type) {
              case 'text':
                text += event.text;
                partial = text;
                options.onText?.(event.text);
                break;
              case 'tool_call':
                toolCalls.push(event.invalid === undefined ? { call: event.call } : { call: event.call, invalid: event.invalid });
                break;
              case 'usage':
                usage = event.usage;
                break;
              case 'stop':
                stopReason = event.reason;
                break;
            }
          }
          return { text, toolCalls, usage, stopReason };
        },
        {
          signal: options.signal,
          estimatedTokens: inputEstimate + request.maxTokens,
          partialText: () => partial,
          onDiscard: options.onDiscard,
          ...(budget ? { budget, budgetRefused: (r) => this.budget.refused(r, worstCase, how), onReserved: (id) => (reservation = id) } : {}),
        },
      );
      costUsd = costOf(price.price, turn.usage);
      // The real cost replaces the reservation in the shared state, and goes to this store's ledger even when
      // the shared state has just become unreachable (the call happened; the record must say so). Either
      // failing stops the run ("could not record"); budgets already held the call's worst case.
      let settleError: Error | undefined;
      if (reservation !== undefined) {
        const settled = reservation;
        reservation = undefined;
        await this.options.registry.state.settle(settled, costUsd).catch((err: unknown) => (settleError = asError(err)));
      }
      await this.options.ledger
        .record({
          runId: options.runId,
          agent: options.agentName,
          chargedTo: chargedTo.length > 0 ? [...chargedTo] : undefined,
          provider: target.provider,
          model,
          usage: turn.usage,
          usd: costUsd,
          priceSource: price.source,
        })
        .catch((err: unknown) => {
          throw asStoreWriteError(err, `the cost of a ${model} call`, this.options.ledger.file);
        });
      if (settleError !== undefined) throw settleError;
      this.budget.checkWarnings(options.agentName, chargedTo);
      return { ...turn, provider: target.provider, model, costUsd, attempts };
    } finally {
      // A call that failed or was refused after its reservation: nothing known was charged. If even that cannot
      // be recorded (the shared state went away), the reservation lapses and is charged at its worst case.
      if (reservation !== undefined) await this.options.registry.state.settle(reservation, 0).catch(() => undefined);
    }
  }

  /** One provider per kind, rebuilt when the config is reloaded; it looks its key up on every call (Set API Key applies at once). */
  private async providerFor(kind: ProviderKind): Promise<LlmProvider> {
    const cached = this.providers.get(kind);
    if (cached) return cached;
    const baseUrl = kind === 'ollama' ? this.config.providers.ollama?.host : this.config.providers[kind]?.base_url;
    const provider = this.createProvider(kind, { baseUrl, secrets: this.options.secrets, env: this.options.env });
    this.providers.set(kind, provider);
    return provider;
  }
}

function budgetLimits(config: BreakwaterConfig): BudgetLimits {
  return {
    workspaceUsd: config.settings.budget_usd,
    agentUsd: Object.fromEntries(Object.entries(config.agents).map(([name, agent]) => [name, agent.budget_usd])),
  };
}
