import { randomBytes } from 'node:crypto';
import { Emitter } from '../common/event';
import { toDisposable, type Disposable } from '../common/lifecycle';
import { CLOSED, type BreakerRules, type BreakerSnapshot } from './circuitBreaker';
import type { Clock } from '../common/clock';
import type { LegacyBreaker } from './legacyBreakers';
import type { StateRecord } from './records';
import type { AdmitOutcome, AdmitRequest, AttemptEnd, Claimed, ClaimRef, SharedState, SharedView, StartOutcome, Transition } from './sharedState';
import { StateModel, type Applied } from './stateModel';
import { asError } from '../common/asError';

/** How long a budget reservation outlives its last renewal (its process died mid-call). */
export const LEASE_MS = 60_000;

/**
 * A shared state whose records are folded by `StateModel` in this process: `memory` (the records go straight
 * into the model) and `file` (they go through the shared log first, in the order every process sees).
 * Subclasses provide `submit`: record → its outcome, once every record before it has been folded.
 */
export abstract class FoldingState implements SharedState {
  abstract readonly backend: 'memory' | 'file';
  abstract readonly location: string;
  protected model = new StateModel();
  protected readonly transitions = new Emitter<Transition & { own: boolean }>();
  protected readonly warnings = new Emitter<string>();
  readonly onTransition = this.transitions.event;
  readonly onWarning = this.warnings.event;
  /** Distinguishes this instance's records from every other's. */
  protected readonly tag = randomBytes(4).toString('hex');
  /** Records of other processes folded so far (a watcher reports a change when it moves). */
  protected foreign = 0;
  private seq = 0;
  /** Reservations this process holds, renewed while their calls run. */
  private readonly held = new Set<string>();
  private lastRenew = 0;
  private renewTimer: ReturnType<typeof setInterval> | undefined;

  constructor(protected readonly clock: Clock) {}

  /** Appends `record` where every process sees it and returns its outcome (throws `StoreWriteError`). */
  protected abstract submit(record: StateRecord): Applied;
  /**
   * Appends a record whose outcome nobody waits for (a settlement, a cancel, a renewal); it is folded with
   * the next read. Defaults to `submit`.
   */
  protected post(record: StateRecord): void {
    this.submit(record);
  }
  /** Reads what other processes appended (no-op in memory). */
  protected abstract catchUp(): void;

  admit(request: AdmitRequest): Promise<Claimed<AdmitOutcome>> {
    return this.run(() => {
      this.renewIfDue();
      const record: Extract<StateRecord, { k: 'admit' }> = { k: 'admit', id: this.newId(), at: this.clock(), key: request.key, br: request.breaker };
      if (request.limiter) record.lim = request.limiter;
      if (request.budget) record.bud = request.budget;
      const outcome = this.submit(record).outcome as AdmitOutcome;
      if (request.budget && request.budget.scopes.length > 0 && outcome.kind !== 'refused') this.hold(record.id);
      return { ...outcome, claim: { id: record.id, key: request.key, slot: outcome.kind === 'queued' ? outcome.slot : record.at } };
    });
  }

  start(claim: ClaimRef, rules: BreakerRules): Promise<StartOutcome> {
    return this.run(() => this.submit({ k: 'start', id: this.newId(), at: this.clock(), key: claim.key, claim: claim.id, slot: claim.slot, br: rules }).outcome as StartOutcome);
  }

  cancel(claim: ClaimRef): Promise<void> {
    return this.run(() => this.post({ k: 'cancel', id: this.newId(), at: this.clock(), key: claim.key, claim: claim.id, slot: claim.slot }));
  }

  finish(claim: ClaimRef, ended: AttemptEnd): Promise<BreakerSnapshot> {
    return this.run(() => {
      this.renewIfDue();
      const record: Extract<StateRecord, { k: 'done' }> = { k: 'done', id: this.newId(), at: this.clock(), key: claim.key, claim: claim.id, result: ended.result, ms: ended.ms, count: ended.count, br: ended.rules };
      if (ended.reason !== undefined) record.reason = ended.reason.slice(0, 2000);
      // A success never leaves the breaker anything but closed (it closes a probe, and a closed breaker stays
      // closed), and nobody decides anything on it: post it, and let the next read fold it.
      if (ended.result === 'success' && ended.rules.enabled) {
        this.post(record);
        return CLOSED;
      }
      return this.submit(record).outcome as BreakerSnapshot;
    });
  }

  settle(reservation: string, usd: number): Promise<void> {
    return this.run(() => {
      this.post({ k: 'settle', id: this.newId(), at: this.clock(), res: reservation, usd });
      this.held.delete(reservation);
      if (this.held.size === 0) this.stopRenewing();
    });
  }

  reset(key: string, reason: string): Promise<boolean> {
    return this.run(() => {
      this.catchUp();
      if (this.model.view(this.clock()).breakers[key] === undefined) return false;
      this.submit({ k: 'reset', id: this.newId(), at: this.clock(), key, reason });
      return true;
    });
  }

  rebase(spent: Readonly<Record<string, number>>, unknown?: string): Promise<void> {
    return this.run(() => void this.submit({ k: 'rebase', id: this.newId(), at: this.clock(), spent: { ...spent }, ...(unknown !== undefined ? { unknown } : {}) }));
  }

  /** Takes a breaker from a file of an older version (see `legacyBreakers.ts`) unless it is in use. */
  importBreaker(b: LegacyBreaker): void {
    this.submit({ k: 'import', id: this.newId(), at: this.clock(), key: b.key, snap: b.snap, calls: b.calls, failures: b.failures, successes: b.successes, totalMs: b.totalMs });
  }

  view(): SharedView {
    this.catchUp();
    return this.model.view(this.clock());
  }

  refresh(): Promise<SharedView> {
    return this.run(() => this.view());
  }

  watch(onChange: () => void): Disposable {
    void onChange;
    return toDisposable(() => undefined);
  }

  close(): Promise<void> {
    this.stopRenewing();
    this.transitions.dispose();
    this.warnings.dispose();
    return Promise.resolve();
  }

  /** Warnings so far (also fired on `onWarning`), for a host that subscribes after opening. */
  readonly warningsSoFar: string[] = [];

  protected warn(message: string): void {
    this.warningsSoFar.push(message);
    this.warnings.fire(message);
  }

  protected newId(): string {
    return `${this.tag}.${(++this.seq).toString(36)}`;
  }

  /** Folds one record and reports its transitions (`own` when this instance wrote it). */
  protected fold(record: StateRecord): Applied {
    const applied = this.model.apply(record);
    const own = record.id.startsWith(`${this.tag}.`);
    if (!own) this.foreign++;
    for (const t of applied.transitions) this.transitions.fire({ ...t, own });
    return applied;
  }

  /** Runs a synchronous step as a promise (a thrown error becomes a rejection). */
  private run<T>(step: () => T): Promise<T> {
    try {
      return Promise.resolve(step());
    } catch (err) {
      return Promise.reject(asError(err));
    }
  }

  private hold(reservation: string): void {
    this.held.add(reservation);
    if (this.renewTimer === undefined) {
      this.lastRenew = this.clock();
      this.renewTimer = setInterval(() => {
        try {
          this.renew();
        } catch (err) {
          this.warn(`Could not renew the budget reservations of calls in flight: ${err instanceof Error ? err.message : String(err)}`);
        }
      }, LEASE_MS / 3);
      this.renewTimer.unref?.();
    }
  }

  private renewIfDue(): void {
    if (this.held.size > 0 && this.clock() - this.lastRenew >= LEASE_MS / 3) this.renew();
  }

  private renew(): void {
    if (this.held.size === 0) return;
    this.lastRenew = this.clock();
    this.post({ k: 'renew', id: this.newId(), at: this.lastRenew, res: [...this.held], leaseMs: LEASE_MS });
  }

  private stopRenewing(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}

/** One process only: the records go straight into the model (tests, hosts without a store). */
export class MemoryState extends FoldingState {
  readonly backend = 'memory' as const;
  readonly location = 'memory';

  protected submit(record: StateRecord): Applied {
    return this.fold(record);
  }

  protected catchUp(): void {}
}
