import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import { systemClock, type Clock } from '../common/clock';
import { LEASE_MS } from '../state/foldingState';
import type { BudgetClaim } from '../state/records';
import type { AdmitOutcome, SharedState } from '../state/sharedState';

const brand = Symbol.for('breakwater.BudgetExceededError');

/** A call refused before it was sent because it could cross a budget. */
export class BudgetExceededError extends Error {
  readonly [brand] = true;

  constructor(
    readonly scope: 'workspace' | 'agent',
    /** The agent, for an agent budget. */
    readonly budgetName: string | undefined,
    readonly budgetUsd: number,
    /** Spent so far plus what calls in flight may still cost. */
    readonly committedUsd: number,
    /** The most this call could cost (estimated input + max output). */
    readonly estimateUsd: number,
    readonly how: string,
    /** Why spending is unknown, when the refusal is because it could not be rebuilt. */
    readonly unknown?: string,
  ) {
    const left = Math.max(0, budgetUsd - committedUsd);
    const whose = scope === 'workspace' ? 'The workspace budget' : `The budget of agent "${budgetName}"`;
    const key = scope === 'workspace' ? '`settings.budget_usd`' : `\`agents.${budgetName}.budget_usd\``;
    super(
      unknown !== undefined
        ? `${whose} of ${usd(budgetUsd)} cannot be checked, so nothing was sent: ${unknown}`
        : `${whose} of ${usd(budgetUsd)} would be crossed: ${usd(committedUsd)} is spent or committed (in every process sharing this budget) and this call could cost up to ${usd(estimateUsd)} (${how}); ${usd(left)} is left. Raise ${key}, lower the agent's max_tokens, or use a cheaper model.`,
    );
    this.name = 'BudgetExceededError';
  }

  get remainingUsd(): number {
    return Math.max(0, this.budgetUsd - this.committedUsd);
  }
}

export function isBudgetExceededError(e: unknown): e is BudgetExceededError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

export interface BudgetLimits {
  /** `settings.budget_usd`; null for none. */
  readonly workspaceUsd: number | null;
  /** `agents.<name>.budget_usd` by agent; null or absent for none. */
  readonly agentUsd: Readonly<Record<string, number | null>>;
}

export interface BudgetOptions {
  /** Where spending and reservations are shared with every other process (see `src/core/state/`). */
  readonly state: SharedState;
  readonly limits: BudgetLimits;
  readonly events: Emitter<CoreEvent>;
  readonly clock?: Clock;
  /** Fraction of a budget at which `budget_warning` fires, once per budget; defaults to 0.8. */
  readonly warnAt?: number;
}

export interface BudgetStatus {
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly reservedUsd: number;
  readonly remainingUsd: number;
}

/** A budget refusal as the shared state reports it. */
export type BudgetRefusal = Extract<AdmitOutcome, { by: 'budget' }>;

/**
 * Workspace and per-agent budgets, held in the shared state: a call reserves its worst-case cost before it
 * is sent (in the same atomic step that admits it to the endpoint's limiter and breaker), the reservation is
 * replaced by the real cost when it ends, and every process sharing the store (or Redis) sees every other's
 * reservations and spending — so concurrent runs cannot jointly overshoot a budget that each alone would fit.
 */
export class BudgetGuard {
  private limits: BudgetLimits;
  private readonly warned = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly options: BudgetOptions) {
    this.limits = options.limits;
    this.clock = options.clock ?? systemClock;
  }

  reconfigure(limits: BudgetLimits): void {
    this.limits = limits;
  }

  /** What a call by `agent` (and the agents it is charged to) must reserve, or undefined when no budget applies. */
  claim(agent: string, chargedTo: readonly string[], estimateUsd: number): BudgetClaim | undefined {
    const scopes = this.scopesFor(agent, chargedTo).map((s) => ({ key: s.key, cap: s.budget }));
    return scopes.length === 0 ? undefined : { usd: estimateUsd, scopes, leaseMs: LEASE_MS };
  }

  /** The error for a refused reservation (after firing `budget_refused`). */
  refused(refusal: BudgetRefusal, estimateUsd: number, how: string): BudgetExceededError {
    const scope = refusal.scope === 'workspace' ? 'workspace' : 'agent';
    const name = scope === 'agent' ? refusal.scope.slice('agent:'.length) : undefined;
    this.options.events.fire({ type: 'budget_refused', scope, ...(name !== undefined ? { name } : {}), spentUsd: refusal.committedUsd, budgetUsd: refusal.capUsd, at: this.clock() });
    return new BudgetExceededError(scope, name, refusal.capUsd, refusal.committedUsd, estimateUsd, how, refusal.unknown);
  }

  /** Fires `budget_warning` once per budget when spending (in every process) reaches the warning fraction. */
  checkWarnings(agent: string, chargedTo: readonly string[] = []): void {
    const warnAt = this.options.warnAt ?? 0.8;
    const spent = this.options.state.view().budget.spent;
    for (const s of this.scopesFor(agent, chargedTo)) {
      const used = spent[s.key] ?? 0;
      if (used >= s.budget * warnAt && !this.warned.has(s.key)) {
        this.warned.add(s.key);
        this.options.events.fire({ type: 'budget_warning', scope: s.scope, name: s.name, spentUsd: used, budgetUsd: s.budget, at: this.clock() });
      }
    }
  }

  status(): { workspace?: BudgetStatus; agents: Record<string, BudgetStatus> } {
    const { spent, reserved } = this.options.state.view().budget;
    const make = (key: string, budget: number): BudgetStatus => {
      const spentUsd = spent[key] ?? 0;
      const reservedUsd = reserved[key] ?? 0;
      return { budgetUsd: budget, spentUsd, reservedUsd, remainingUsd: Math.max(0, budget - spentUsd - reservedUsd) };
    };
    const agents: Record<string, BudgetStatus> = {};
    for (const [name, budget] of Object.entries(this.limits.agentUsd)) if (budget != null) agents[name] = make(`agent:${name}`, budget);
    return { workspace: this.limits.workspaceUsd == null ? undefined : make('workspace', this.limits.workspaceUsd), agents };
  }

  private scopesFor(agent: string, chargedTo: readonly string[]) {
    const scopes: { key: string; scope: 'workspace' | 'agent'; name?: string; budget: number }[] = [];
    if (this.limits.workspaceUsd != null) scopes.push({ key: 'workspace', scope: 'workspace', budget: this.limits.workspaceUsd });
    for (const name of new Set([agent, ...chargedTo])) {
      const budget = this.limits.agentUsd[name];
      if (budget != null) scopes.push({ key: `agent:${name}`, scope: 'agent', name, budget });
    }
    return scopes;
  }
}

function usd(n: number): string {
  return `$${n.toFixed(n !== 0 && n < 0.01 ? 4 : 2)}`;
}
