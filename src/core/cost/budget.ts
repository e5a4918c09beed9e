import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { CostLedger } from './costLedger';
import { systemClock, type Clock } from '../resilience/timers';

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
  ) {
    const left = Math.max(0, budgetUsd - committedUsd);
    const whose = scope === 'workspace' ? 'The workspace budget' : `The budget of agent "${budgetName}"`;
    const key = scope === 'workspace' ? '`settings.budget_usd`' : `\`agents.${budgetName}.budget_usd\``;
    super(
      `${whose} of ${usd(budgetUsd)} would be crossed: ${usd(committedUsd)} is spent or committed and this call could cost up to ${usd(estimateUsd)} (${how}); ${usd(left)} is left. Raise ${key}, lower the agent's max_tokens, or use a cheaper model.`,
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
  readonly ledger: CostLedger;
  readonly limits: BudgetLimits;
  readonly events: Emitter<CoreEvent>;
  readonly clock?: Clock;
  /** Fraction of a budget at which `budget_warning` fires, once per budget; defaults to 0.8. */
  readonly warnAt?: number;
}

/** The most a call in flight may still cost, held against the budgets until it settles. */
export interface BudgetReservation {
  /** The call finished: the ledger now holds its real cost. */
  release(): void;
}

export interface BudgetStatus {
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly reservedUsd: number;
  readonly remainingUsd: number;
}

/**
 * Workspace and per-agent budgets over the cost ledger. A call reserves its worst-case cost before it
 * is sent; concurrent calls see each other's reservations, so eight agents at once cannot jointly
 * overshoot a budget that each alone would fit.
 */
export class BudgetGuard {
  private limits: BudgetLimits;
  private readonly reserved = new Map<string, number>();
  private readonly warned = new Set<string>();
  private readonly clock: Clock;

  constructor(private readonly options: BudgetOptions) {
    this.limits = options.limits;
    this.clock = options.clock ?? systemClock;
  }

  reconfigure(limits: BudgetLimits): void {
    this.limits = limits;
  }

  /**
   * Reserves `estimateUsd` for a call by `agent` (and the agents it is charged to), or throws
   * `BudgetExceededError` — after firing `budget_refused` — without reserving anything.
   */
  reserve(agent: string, chargedTo: readonly string[], estimateUsd: number, how: string): BudgetReservation {
    const scopes = this.scopesFor(agent, chargedTo);
    for (const s of scopes) {
      const committed = this.spentIn(s.key) + (this.reserved.get(s.key) ?? 0);
      if (committed + estimateUsd > s.budget) {
        this.options.events.fire({ type: 'budget_refused', scope: s.scope, name: s.name, spentUsd: committed, budgetUsd: s.budget, at: this.clock() });
        throw new BudgetExceededError(s.scope, s.name, s.budget, committed, estimateUsd, how);
      }
    }
    for (const s of scopes) this.reserved.set(s.key, (this.reserved.get(s.key) ?? 0) + estimateUsd);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        for (const s of scopes) this.reserved.set(s.key, Math.max(0, (this.reserved.get(s.key) ?? 0) - estimateUsd));
        this.checkWarnings(agent, chargedTo);
      },
    };
  }

  /** Fires `budget_warning` once per budget when spending reaches the warning fraction. */
  checkWarnings(agent: string, chargedTo: readonly string[] = []): void {
    const warnAt = this.options.warnAt ?? 0.8;
    for (const s of this.scopesFor(agent, chargedTo)) {
      const spent = this.spentIn(s.key);
      if (spent >= s.budget * warnAt && !this.warned.has(s.key)) {
        this.warned.add(s.key);
        this.options.events.fire({ type: 'budget_warning', scope: s.scope, name: s.name, spentUsd: spent, budgetUsd: s.budget, at: this.clock() });
      }
    }
  }

  status(): { workspace?: BudgetStatus; agents: Record<string, BudgetStatus> } {
    const make = (key: string, budget: number): BudgetStatus => {
      const spentUsd = this.spentIn(key);
      const reservedUsd = this.reserved.get(key) ?? 0;
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

  private spentIn(key: string): number {
    return key === 'workspace' ? this.options.ledger.spent() : this.options.ledger.spent(key.slice('agent:'.length));
  }
}

function usd(n: number): string {
  return `$${n.toFixed(n !== 0 && n < 0.01 ? 4 : 2)}`;
}
