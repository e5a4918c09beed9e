import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { Emitter } from '../common/event';
import { toDisposable, type Disposable } from '../common/lifecycle';
import type { BreakerRules, BreakerSnapshot } from './circuitBreaker';
import { LEASE_MS } from './foldingState';
import { LIMITER_GUARD_MS } from './records';
import { STATE_SCRIPT } from './redisScript';
import {
  StateUnavailableError,
  type AdmitOutcome,
  type AdmitRequest,
  type AttemptEnd,
  type BreakerFigures,
  type Claimed,
  type ClaimRef,
  type LimiterFigures,
  type SharedState,
  type SharedView,
  type StartOutcome,
  type Transition,
} from './sharedState';

export interface RedisStateOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  readonly url: string;
  /** Milliseconds to wait for the server when connecting and per command; default 2 000. */
  readonly timeoutMs?: number;
}

interface ScriptResult {
  readonly now: number;
  readonly outcome?: unknown;
  readonly slot?: number;
  readonly figures?: { breaker: BreakerFigures; limiter?: LimiterFigures };
  readonly view?: SharedView;
  readonly transitions?: Transition[] | Record<string, never>;
}

type StateClient = Redis & { bwstate(keys: string, prefix: string, op: string, args: string): Promise<string> };

/** Every key carries one hash tag, so the script's keys share a cluster slot. */
const PREFIX = 'breakwater:{state}:';

/**
 * The shared state in a Redis database, for processes on several machines: each operation is one atomic Lua
 * script (`redisScript.ts`) on the server's clock. Processes that use the same database share limits, breakers
 * and budgets; use another database number (`redis://host/1`) to keep teams apart.
 */
export class RedisState implements SharedState {
  readonly backend = 'redis' as const;
  private readonly transitions = new Emitter<Transition & { own: boolean }>();
  private readonly warnings = new Emitter<string>();
  readonly onTransition = this.transitions.event;
  readonly onWarning = this.warnings.event;
  readonly warningsSoFar: string[] = [];
  private cached: { breakers: Record<string, BreakerFigures>; limiters: Record<string, LimiterFigures>; budget: SharedView['budget'] } = { breakers: {}, limiters: {}, budget: { spent: {}, reserved: {} } };
  private readonly tag = randomBytes(4).toString('hex');
  private seq = 0;
  private readonly held = new Set<string>();
  private renewTimer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly client: StateClient,
    readonly location: string,
  ) {}

  /** Connects; throws `StateUnavailableError` when the server cannot be reached. */
  static async open(options: RedisStateOptions): Promise<RedisState> {
    const location = redactUrl(options.url);
    const { default: IORedis } = await import('ioredis');
    const timeout = options.timeoutMs ?? 2000;
    const client = new IORedis(options.url, {
      lazyConnect: true,
      // Fail at once while the server is away instead of queueing: nothing may be sent unaccounted.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: timeout,
      commandTimeout: timeout,
      retryStrategy: (times) => Math.min(times * 200, 2000),
    }) as StateClient;
    client.on('error', () => undefined); // reported per operation, as StateUnavailableError
    client.defineCommand('bwstate', { numberOfKeys: 1, lua: STATE_SCRIPT });
    try {
      await client.connect();
    } catch (err) {
      client.disconnect();
      throw new StateUnavailableError(location, messageOf(err), { cause: err });
    }
    const state = new RedisState(client, location);
    await state.refresh();
    return state;
  }

  async admit(request: AdmitRequest): Promise<Claimed<AdmitOutcome>> {
    const id = this.newId();
    const r = await this.call('admit', { id, key: request.key, br: request.breaker, lim: request.limiter, bud: request.budget });
    const outcome = r.outcome as AdmitOutcome;
    if (request.budget && request.budget.scopes.length > 0 && outcome.kind !== 'refused') this.hold(id);
    return { ...outcome, claim: { id, key: request.key, slot: r.slot ?? r.now } };
  }

  async start(claim: ClaimRef, rules: BreakerRules): Promise<StartOutcome> {
    return (await this.call('start', { key: claim.key, claim: claim.id, br: rules })).outcome as StartOutcome;
  }

  async cancel(claim: ClaimRef): Promise<void> {
    await this.call('cancel', { key: claim.key, claim: claim.id });
  }

  async finish(claim: ClaimRef, ended: AttemptEnd): Promise<BreakerSnapshot> {
    const r = await this.call('done', { key: claim.key, claim: claim.id, result: ended.result, ms: ended.ms, count: ended.count, br: ended.rules, reason: ended.reason?.slice(0, 2000) });
    return r.outcome as BreakerSnapshot;
  }

  async settle(reservation: string, usd: number): Promise<void> {
    await this.call('settle', { res: reservation, usd });
    this.held.delete(reservation);
    if (this.held.size === 0) this.stopRenewing();
  }

  async reset(key: string, reason: string): Promise<boolean> {
    return (await this.call('reset', { key, reason })).outcome === true;
  }

  async rebase(spent: Readonly<Record<string, number>>, unknown?: string): Promise<void> {
    await this.call('rebase', { spent, unknown });
  }

  /** Brings this process's spending when the database has none yet (the first process to use it). */
  async seed(spent: Readonly<Record<string, number>>): Promise<void> {
    await this.call('seed', { spent });
  }

  view(): SharedView {
    return this.cached;
  }

  async refresh(): Promise<SharedView> {
    const r = await this.call('view', {});
    const view = r.view!;
    const breakers = asRecord(view.breakers);
    // Transitions other processes caused since we last looked.
    for (const [key, b] of Object.entries(breakers)) {
      const before = this.cached.breakers[key]?.snap.state ?? 'closed';
      if (before !== b.snap.state) this.transitions.fire({ key, from: before, to: b.snap.state, snap: b.snap, at: r.now, own: false });
    }
    this.cached = { breakers, limiters: asRecord(view.limiters), budget: { spent: asRecord(view.budget.spent), reserved: asRecord(view.budget.reserved), ...(view.budget.unknown ? { unknown: view.budget.unknown } : {}) } };
    return this.cached;
  }

  /** Asks the server every 2 s while watched; a change in any figure is reported. */
  watch(onChange: () => void): Disposable {
    let last = JSON.stringify(this.cached);
    const timer = setInterval(() => {
      this.refresh().then(
        (v) => {
          const now = JSON.stringify(v);
          if (now !== last) onChange();
          last = now;
        },
        () => undefined, // unreachable now: the next operation reports it
      );
    }, 2000);
    timer.unref?.();
    return toDisposable(() => clearInterval(timer));
  }

  async close(): Promise<void> {
    this.stopRenewing();
    this.transitions.dispose();
    this.warnings.dispose();
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  private async call(op: string, args: Record<string, unknown>): Promise<ScriptResult> {
    let text: string;
    try {
      text = await this.client.bwstate(`${PREFIX}keys`, PREFIX, op, JSON.stringify({ ...args, guard: LIMITER_GUARD_MS }));
    } catch (err) {
      throw new StateUnavailableError(this.location, messageOf(err), { cause: err });
    }
    const r = JSON.parse(text) as ScriptResult;
    const transitions = Array.isArray(r.transitions) ? r.transitions : [];
    for (const t of transitions) this.transitions.fire({ ...t, own: true });
    if (r.figures && typeof args.key === 'string') {
      this.cached = {
        ...this.cached,
        breakers: { ...this.cached.breakers, [args.key]: r.figures.breaker },
        limiters: r.figures.limiter ? { ...this.cached.limiters, [args.key]: r.figures.limiter } : this.cached.limiters,
      };
    }
    return r;
  }

  private newId(): string {
    return `${this.tag}.${(++this.seq).toString(36)}`;
  }

  private hold(reservation: string): void {
    this.held.add(reservation);
    if (this.renewTimer !== undefined) return;
    this.renewTimer = setInterval(() => {
      this.call('renew', { res: [...this.held], leaseMs: LEASE_MS }).catch((err: unknown) => {
        const message = `Could not renew the budget reservations of calls in flight: ${messageOf(err)}`;
        this.warningsSoFar.push(message);
        this.warnings.fire(message);
      });
    }, LEASE_MS / 3);
    this.renewTimer.unref?.();
  }

  private stopRenewing(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.renewTimer = undefined;
  }
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0` (never print a password). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(an invalid URL)';
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** cjson encodes an empty Lua table as `{}` whatever it stood for. */
function asRecord<T>(v: Record<string, T> | T[] | undefined): Record<string, T> {
  return v === undefined || Array.isArray(v) ? {} : v;
}
