import { Emitter } from '../common/event';
import { toDisposable, type Disposable } from '../common/lifecycle';
import type { StateConfig } from '../config/schema';
import { spendBaseline } from './spendBaseline';
import type { BreakerRules } from '../state/circuitBreaker';
import type { Clock } from '../common/clock';
import type { StoreLayout } from '../store/storeLayout';
import { FileState } from '../state/fileState';
import { takeLegacyBreakers } from '../state/legacyBreakers';
import { RedisState, redactUrl } from '../state/redisState';
import { isStateUnavailableError, StateUnavailableError, type AttemptEnd, type ClaimRef, type SharedState, type SharedView, type Transition } from '../state/sharedState';
import { emptyModel } from '../state/stateModel';

export interface OpenSharedStateOptions {
  readonly config: StateConfig;
  readonly layout: StoreLayout;
  /** `BREAKWATER_STATE_URL` selects Redis (and overrides `state.url`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly clock: Clock;
}

export interface OpenedSharedState {
  readonly state: SharedState;
  /** Damaged state found while opening, and fallbacks taken; the host shows them. */
  readonly warnings: readonly string[];
}

/**
 * Opens the shared state the config asks for: the store folder (`state.backend: file`, the default) or a
 * Redis server (`state.backend: redis` with `state.url`, or `BREAKWATER_STATE_URL`). Redis unreachable:
 * `state.on_unavailable: fail` (default) throws `StateUnavailableError`; `local` falls back to the store
 * folder with a warning — at start or whenever the server goes away later.
 */
export async function openSharedState(options: OpenSharedStateOptions): Promise<OpenedSharedState> {
  const url = options.env.BREAKWATER_STATE_URL || (options.config.backend === 'redis' ? options.config.url : undefined);
  if (url === undefined) {
    if (options.config.backend === 'redis') throw new StateUnavailableError('redis (no URL)', 'state.backend is redis but neither state.url nor BREAKWATER_STATE_URL is set');
    return openFile(options);
  }
  let redis: RedisState;
  try {
    redis = await RedisState.open({ url });
    await redis.seed(spendBaseline(options.layout).spent);
  } catch (err) {
    if (!isStateUnavailableError(err) || options.config.on_unavailable !== 'local') throw err;
    const local = openFile(options);
    return { state: local.state, warnings: [`${err.message.split(';')[0]}; using this machine's store instead (state.on_unavailable: local): limits, breakers and budgets are shared only with processes on this machine.`, ...local.warnings] };
  }
  if (options.config.on_unavailable !== 'local') return { state: redis, warnings: [] };
  return { state: new FallbackState(redis, () => openFile(options)), warnings: [] };
}

function openFile(options: OpenSharedStateOptions): OpenedSharedState {
  const warnings: string[] = [];
  const state = FileState.open({
    dir: options.layout.sharedState,
    clock: options.clock,
    seed: () => {
      const model = emptyModel();
      const baseline = spendBaseline(options.layout);
      model.budget.spent = baseline.spent;
      if (baseline.unknown !== undefined) model.budget.unknown = baseline.unknown;
      return model;
    },
  });
  for (const b of takeLegacyBreakers(options.layout, options.clock(), (m) => warnings.push(m))) state.importBreaker(b);
  if (state.view().budget.unknown !== undefined) {
    // Spending could not be rebuilt last time; it may be repairable now (the damaged ledger line was fixed).
    const baseline = spendBaseline(options.layout);
    if (baseline.unknown === undefined) state.rebase(baseline.spent).catch((err: unknown) => warnings.push(`Spending could not be rebuilt in the shared state: ${(err as Error).message}`));
  }
  warnings.push(...state.warningsSoFar);
  return { state, warnings };
}

/**
 * Redis while it answers, the store folder from the first operation it does not (`on_unavailable: local`).
 * A call admitted by Redis and ended after the switch is counted locally, where its reservation is unknown.
 */
class FallbackState implements SharedState {
  private current: SharedState;
  private watcher: (() => void) | undefined;
  private watching: Disposable | undefined;
  private readonly transitions = new Emitter<Transition & { own: boolean }>();
  private readonly warnings = new Emitter<string>();
  readonly onTransition = this.transitions.event;
  readonly onWarning = this.warnings.event;

  constructor(
    primary: RedisState,
    private readonly openLocal: () => OpenedSharedState,
  ) {
    this.current = primary;
    this.follow(primary);
  }

  get backend(): SharedState['backend'] {
    return this.current.backend;
  }

  get location(): string {
    return this.current.location;
  }

  admit: SharedState['admit'] = (request) => this.guard((s) => s.admit(request));
  start = (claim: ClaimRef, rules: BreakerRules) => this.guard((s) => s.start(claim, rules));
  cancel = (claim: ClaimRef) => this.guard((s) => s.cancel(claim));
  finish = (claim: ClaimRef, ended: AttemptEnd) => this.guard((s) => s.finish(claim, ended));
  settle = (reservation: string, usd: number) => this.guard((s) => s.settle(reservation, usd));
  reset = (key: string, reason: string) => this.guard((s) => s.reset(key, reason));
  rebase = (spent: Readonly<Record<string, number>>, unknown?: string) => this.guard((s) => s.rebase(spent, unknown));
  refresh = () => this.guard((s) => s.refresh());

  view(): SharedView {
    return this.current.view();
  }

  watch(onChange: () => void): Disposable {
    this.watcher = onChange;
    this.watching = this.current.watch(onChange);
    return toDisposable(() => {
      this.watcher = undefined;
      this.watching?.dispose();
    });
  }

  close(): Promise<void> {
    this.transitions.dispose();
    this.warnings.dispose();
    return this.current.close();
  }

  private async guard<T>(op: (s: SharedState) => Promise<T>): Promise<T> {
    try {
      return await op(this.current);
    } catch (err) {
      if (!isStateUnavailableError(err) || this.current.backend !== 'redis') throw err;
      const redis = this.current;
      const local = this.openLocal();
      this.current = local.state;
      this.follow(local.state);
      this.watching?.dispose();
      if (this.watcher) this.watching = local.state.watch(this.watcher);
      this.warnings.fire(`${redactUrl(redis.location)} stopped answering (${(err.cause as Error | undefined)?.message ?? err.message}); using this machine's store from now on (state.on_unavailable: local).`);
      for (const w of local.warnings) this.warnings.fire(w);
      void redis.close();
      return op(this.current);
    }
  }

  private follow(s: SharedState): void {
    s.onTransition((t) => this.transitions.fire(t));
    s.onWarning((w) => this.warnings.fire(w));
  }
}
