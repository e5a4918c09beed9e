import { breakerAfter, breakerCheck, breakerGate, CLOSED, type BreakerRules, type BreakerSnapshot, type Permit } from './circuitBreaker';
import { LIMITER_GUARD_MS, type LimiterRules, type StateRecord } from './records';
import type { AdmitOutcome, BreakerFigures, BudgetFigures, LimiterFigures, SharedView, StartOutcome, Transition } from './sharedState';

/**
 * The fold of the shared state: limiter slots, breakers (providers and tools) and budget reservations,
 * changed only by `apply(record)`. It is deterministic — a record's outcome depends only on the records
 * before it and on the times and limits the records carry — so every process folding the same log reaches
 * the same outcome for every claim, and no lock is needed (see `fileState.ts`). Plain data, so a log
 * segment can start from a snapshot of it.
 */
export interface ModelData {
  breakers: Record<string, BreakerEntry>;
  limiters: Record<string, LimiterEntry>;
  budget: BudgetEntry;
}

interface BreakerEntry {
  snap: BreakerSnapshot;
  /** The probe timeout last seen for it (for the view). */
  probeMaxMs: number;
  calls: number;
  failures: number;
  successes: number;
  totalMs: number;
}

interface LimiterEntry {
  /** Start times of granted or queued requests, ascending (FIFO: each new slot is at or after the last). */
  slots: number[];
  /** Tokens of each slot. */
  tokens: number[];
  limit: number;
  tokenLimit: number | null;
  windowMs: number;
}

interface BudgetEntry {
  /** USD spent per budget scope (`workspace`, `agent:NAME`). */
  spent: Record<string, number>;
  /** Calls in flight: their worst case, held until settled or until their lease lapses. */
  reservations: Record<string, { scopes: string[]; usd: number; until: number }>;
  /** Reservations whose process stopped renewing them: charged at their worst case until a late settle says otherwise. */
  lapsed: Record<string, { scopes: string[]; usd: number }>;
  /** Set when spending could not be rebuilt: budgeted calls are refused with this message. */
  unknown?: string;
}

export interface Applied<O = unknown> {
  readonly outcome: O;
  readonly transitions: Transition[];
}

/** Limiter slots older than the window by this much are dropped (records may arrive slightly out of time order). */
const PRUNE_SLACK_MS = 10_000;
const GRANTED_NORMAL: AdmitOutcome = Object.freeze({ kind: 'granted', permit: 'normal' });
const MAX_LAPSED = 200;

export function emptyModel(): ModelData {
  return { breakers: {}, limiters: {}, budget: { spent: {}, reservations: {}, lapsed: {} } };
}

export class StateModel {
  constructor(private data: ModelData = emptyModel()) {}

  /** A deep copy of the state (a segment header). */
  snapshot(): ModelData {
    return structuredClone(this.data);
  }

  apply(record: StateRecord): Applied<AdmitOutcome | StartOutcome | BreakerSnapshot | undefined> {
    const transitions: Transition[] = [];
    this.lapse(record.at);
    switch (record.k) {
      case 'admit':
        return { outcome: this.admit(record, transitions), transitions };
      case 'start':
        return { outcome: this.start(record, transitions), transitions };
      case 'cancel':
        this.unslot(record.key, record.slot);
        return { outcome: undefined, transitions };
      case 'done': {
        const b = this.breaker(record.key, record.br);
        if (record.count) {
          b.calls++;
          b.totalMs += record.ms;
          if (record.result === 'success') b.successes++;
          else b.failures++;
        }
        this.move(record.key, b, breakerAfter(b.snap, record.br, record.at, record.claim, record.result, record.reason ?? record.result), record.at, transitions);
        return { outcome: b.snap, transitions };
      }
      case 'settle':
        this.settle(record.res, record.usd);
        return { outcome: undefined, transitions };
      case 'renew':
        for (const res of record.res) {
          const r = this.data.budget.reservations[res];
          if (r) r.until = Math.max(r.until, record.at + record.leaseMs);
        }
        return { outcome: undefined, transitions };
      case 'reset': {
        const b = this.data.breakers[record.key];
        if (b) this.move(record.key, b, CLOSED, record.at, transitions, record.reason);
        return { outcome: undefined, transitions };
      }
      case 'rebase':
        this.data.budget.spent = { ...record.spent };
        this.data.budget.lapsed = {};
        if (record.unknown === undefined) delete this.data.budget.unknown;
        else this.data.budget.unknown = record.unknown;
        return { outcome: undefined, transitions };
      case 'import': {
        const b = this.data.breakers[record.key];
        // Only into a breaker nobody has used since: the shared state is newer than any old file.
        if (b === undefined || (b.calls === 0 && b.snap.state === 'closed')) {
          this.data.breakers[record.key] = { snap: record.snap, probeMaxMs: 30_000, calls: record.calls, failures: record.failures, successes: record.successes, totalMs: record.totalMs };
          if (record.snap.state !== 'closed') transitions.push({ key: record.key, from: 'closed', to: record.snap.state, snap: record.snap, at: record.at });
        }
        return { outcome: undefined, transitions };
      }
      case 'seal':
        return { outcome: undefined, transitions };
    }
  }

  view(now: number): SharedView {
    const breakers: Record<string, BreakerFigures> = {};
    for (const [key, b] of Object.entries(this.data.breakers)) breakers[key] = { snap: b.snap, probeMaxMs: b.probeMaxMs, calls: b.calls, failures: b.failures, successes: b.successes, totalMs: b.totalMs };
    const limiters: Record<string, LimiterFigures> = {};
    for (const [key, l] of Object.entries(this.data.limiters)) limiters[key] = limiterFigures(l, now);
    return { breakers, limiters, budget: this.budgetFigures() };
  }

  budgetFigures(): BudgetFigures {
    const bud = this.data.budget;
    const reserved: Record<string, number> = {};
    for (const r of Object.values(bud.reservations)) for (const s of r.scopes) reserved[s] = (reserved[s] ?? 0) + r.usd;
    return { spent: { ...bud.spent }, reserved, ...(bud.unknown !== undefined ? { unknown: bud.unknown } : {}) };
  }

  private admit(r: Extract<StateRecord, { k: 'admit' }>, transitions: Transition[]): AdmitOutcome {
    const b = this.breaker(r.key, r.br);
    // A closed breaker (the usual case) needs no check and gives a normal permit.
    const closed = b.snap.state === 'closed' || !r.br.enabled;
    if (!closed) {
      const check = breakerCheck(b.snap, r.br, r.at);
      if (!check.ok) return { kind: 'refused', by: 'breaker', state: check.state, retryAt: check.retryAt };
    }
    if (r.bud && r.bud.scopes.length > 0) {
      const refusal = this.reserve(r.id, r.at, r.bud.usd, r.bud.scopes, r.bud.leaseMs);
      if (refusal) return refusal;
    }
    const slot = r.lim ? this.slot(r.key, r.at, r.lim) : r.at;
    if (slot > r.at) return { kind: 'queued', slot, waitMs: slot - r.at };
    return closed ? GRANTED_NORMAL : { kind: 'granted', permit: this.permit(r.key, b, r.br, r.at, r.id, transitions) };
  }

  private start(r: Extract<StateRecord, { k: 'start' }>, transitions: Transition[]): StartOutcome {
    const b = this.breaker(r.key, r.br);
    const gate = breakerGate(b.snap, r.br, r.at, r.claim);
    if (!gate.ok) {
      this.unslot(r.key, r.slot);
      return { kind: 'refused', by: 'breaker', state: gate.state, retryAt: gate.retryAt };
    }
    this.move(r.key, b, gate.next, r.at, transitions);
    return { kind: 'granted', permit: gate.permit };
  }

  private permit(key: string, b: BreakerEntry, rules: BreakerRules, at: number, claim: string, transitions: Transition[]): Permit {
    const gate = breakerGate(b.snap, rules, at, claim);
    // breakerCheck passed at the same time, so the gate cannot refuse.
    if (!gate.ok) return 'normal';
    this.move(key, b, gate.next, at, transitions);
    return gate.permit;
  }

  private reserve(id: string, at: number, usd: number, scopes: readonly { key: string; cap: number }[], leaseMs: number): AdmitOutcome | undefined {
    const bud = this.data.budget;
    const reserved = this.budgetFigures().reserved;
    for (const s of scopes) {
      const committed = (bud.spent[s.key] ?? 0) + (reserved[s.key] ?? 0);
      if (bud.unknown !== undefined) return { kind: 'refused', by: 'budget', scope: s.key, committedUsd: committed, capUsd: s.cap, unknown: bud.unknown };
      if (committed + usd > s.cap) return { kind: 'refused', by: 'budget', scope: s.key, committedUsd: committed, capUsd: s.cap };
    }
    bud.reservations[id] = { scopes: scopes.map((s) => s.key), usd, until: at + leaseMs };
    return undefined;
  }

  private settle(res: string, usd: number): void {
    const bud = this.data.budget;
    const live = bud.reservations[res];
    const lapsed = bud.lapsed[res];
    const scopes = live?.scopes ?? lapsed?.scopes;
    if (scopes === undefined) return;
    delete bud.reservations[res];
    delete bud.lapsed[res];
    // A late settle replaces the worst case charged when its lease lapsed.
    for (const s of scopes) bud.spent[s] = Math.max(0, (bud.spent[s] ?? 0) - (lapsed?.usd ?? 0) + usd);
  }

  /** Reservations whose lease ran out (their process died mid-call) are charged at their worst case. */
  private lapse(at: number): void {
    const bud = this.data.budget;
    // `for…in` allocates nothing: this runs for every record, and there is rarely anything to lapse.
    for (const id in bud.reservations) {
      const r = bud.reservations[id];
      if (r === undefined || r.until >= at) continue;
      delete bud.reservations[id];
      for (const s of r.scopes) bud.spent[s] = (bud.spent[s] ?? 0) + r.usd;
      bud.lapsed[id] = { scopes: r.scopes, usd: r.usd };
      const [oldest, ...rest] = Object.keys(bud.lapsed);
      if (oldest !== undefined && rest.length >= MAX_LAPSED) delete bud.lapsed[oldest];
    }
  }

  /** The earliest start at or after `at` that keeps every window within the limits, after every earlier slot (FIFO). */
  private slot(key: string, at: number, rules: LimiterRules): number {
    let l = this.data.limiters[key];
    if (l === undefined) {
      l = { slots: [], tokens: [], limit: rules.limit, tokenLimit: rules.tokenLimit, windowMs: rules.windowMs };
      this.data.limiters[key] = l;
    }
    l.limit = rules.limit;
    l.tokenLimit = rules.tokenLimit;
    l.windowMs = rules.windowMs;
    const w = rules.windowMs;
    // \`slots\` and \`tokens\` are parallel arrays and every index read below is inside them; \`?? 0\` only tells the compiler.
    const slot = (i: number): number => l.slots[i] ?? 0;
    let drop = 0;
    while (drop < l.slots.length && slot(drop) <= at - w - PRUNE_SLACK_MS) drop++;
    if (drop > 0) {
      l.slots.splice(0, drop);
      l.tokens.splice(0, drop);
    }
    const k = l.slots.length;
    let s = Math.max(at, k > 0 ? slot(k - 1) : at);
    if (k >= rules.limit) s = Math.max(s, slot(k - rules.limit) + w);
    if (rules.tokenLimit !== null && rules.tokens > 0) {
      // A call larger than the whole per-window allowance runs alone once the window is empty.
      const want = Math.min(rules.tokens, rules.tokenLimit);
      for (;;) {
        let used = 0;
        let oldest = -1;
        for (let i = k - 1; i >= 0 && slot(i) > s - w; i--) {
          used += l.tokens[i] ?? 0;
          oldest = i;
        }
        if (used + want <= rules.tokenLimit || oldest < 0) break;
        s = slot(oldest) + w;
      }
    }
    l.slots.push(s);
    l.tokens.push(rules.tokens);
    return s;
  }

  private unslot(key: string, slot: number): void {
    const l = this.data.limiters[key];
    if (!l) return;
    const i = l.slots.lastIndexOf(slot);
    if (i < 0) return;
    l.slots.splice(i, 1);
    l.tokens.splice(i, 1);
  }

  private breaker(key: string, rules: BreakerRules): BreakerEntry {
    let b = this.data.breakers[key];
    if (b === undefined) {
      b = { snap: CLOSED, probeMaxMs: rules.probeMaxMs, calls: 0, failures: 0, successes: 0, totalMs: 0 };
      this.data.breakers[key] = b;
    }
    b.probeMaxMs = rules.probeMaxMs;
    return b;
  }

  private move(key: string, b: BreakerEntry, next: BreakerSnapshot, at: number, transitions: Transition[], reason?: string): void {
    const from = b.snap.state;
    b.snap = next;
    if (from !== next.state) transitions.push({ key, from, to: next.state, snap: next, at, ...(reason !== undefined ? { reason } : {}) });
  }
}

function limiterFigures(l: LimiterEntry, now: number): LimiterFigures {
  const shown = Math.max(1, l.windowMs - LIMITER_GUARD_MS);
  let used = 0;
  let tokensUsed = 0;
  let queued = 0;
  for (const [i, t] of l.slots.entries()) {
    if (t > now) queued++;
    else if (t > now - shown) {
      used++;
      tokensUsed += l.tokens[i] ?? 0;
    }
  }
  return { used, limit: l.limit, tokensUsed, tokenLimit: l.tokenLimit, queued, windowMs: shown };
}
