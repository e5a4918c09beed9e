import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { Disposable } from '../common/lifecycle';
import { breakerCheck, retryAtOf, type BreakerRules } from '../state/circuitBreaker';
import { MemoryState } from '../state/foldingState';
import { toolKey, type ClaimRef, type SharedState } from '../state/sharedState';
import type { ToolStats } from './types';

/** The per-tool breaker settings. */
export interface BreakerConfig {
  /** Consecutive failures that open the breaker; default 3. */
  readonly threshold: number;
  /** Milliseconds an open breaker waits before one probe; default 300 000. */
  readonly resetMs: number;
}

export type Admission = { readonly ok: true; readonly claim: ClaimRef } | { readonly ok: false; readonly retryAt: number };

export interface ToolBreakersOptions {
  readonly clock: () => number;
  readonly events?: Emitter<CoreEvent>;
  /** Shared with every process using the store (or Redis); defaults to this process only. */
  readonly state?: SharedState;
  /** How long a probe may run before it counts as lost (the command timeout), in ms; default 120 000. */
  readonly probeMaxMs?: number;
  /** Where a failed reset goes; defaults to re-throwing asynchronously. */
  readonly onError?: (err: unknown) => void;
}

const TOOL = 't:';

/**
 * The circuit breaker and fleet stats of each tool: the same breaker as a provider endpoint's
 * (`resilience/circuitBreaker.ts`, shared state, one probe for every process, fail fast while it runs), in
 * the `tool` scope. An error result counts as a failure; a refused call counts as nothing; a cancelled one
 * teaches nothing (and hands a probe on).
 */
export class ToolBreakers implements Disposable {
  private readonly state: SharedState;
  private readonly onError: (err: unknown) => void;
  private readonly subscription: Disposable;

  constructor(private readonly options: ToolBreakersOptions) {
    this.state = options.state ?? new MemoryState(options.clock);
    this.onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
    this.subscription = this.state.onTransition((t) => {
      if (!t.key.startsWith(TOOL)) return;
      const retryAt = t.snap.state === 'open' ? t.snap.retryAt : undefined;
      const reason = t.reason ?? (t.snap.state === 'open' ? t.snap.reason : t.snap.state === 'half_open' ? 'reset time elapsed; one probe may run' : 'probe succeeded');
      options.events?.fire({ type: 'breaker_transition', scope: 'tool', name: t.key.slice(TOOL.length), from: t.from, to: t.to, at: t.at, reason, ...(retryAt !== undefined ? { retryAt } : {}), ...(t.own ? {} : { observed: true }) });
    });
  }

  /** Takes the call's turn (the one probe when the breaker is due), or fails fast with the time to retry. */
  async admit(tool: string, config: BreakerConfig): Promise<Admission> {
    const admitted = await this.state.admit({ key: toolKey(tool), breaker: this.rules(config) });
    if (admitted.kind === 'refused') return { ok: false, retryAt: admitted.by === 'breaker' ? admitted.retryAt : this.options.clock() };
    return { ok: true, claim: admitted.claim };
  }

  /** Fails fast without taking anything (for `prepare`, which must not consume the probe). */
  peek(tool: string, config?: BreakerConfig): { ok: true } | { ok: false; retryAt: number } {
    const figures = this.state.view().breakers[toolKey(tool)];
    if (figures === undefined) return { ok: true };
    const rules = config ? this.rules(config) : { threshold: 1, openMs: 0, probeMaxMs: figures.probeMaxMs, enabled: true };
    const gate = breakerCheck(figures.snap, rules, this.options.clock());
    return gate.ok ? { ok: true } : { ok: false, retryAt: gate.retryAt };
  }

  async settle(claim: ClaimRef, result: 'success' | 'failure' | 'neutral', ms: number, config: BreakerConfig): Promise<void> {
    await this.state.finish(claim, { result: result === 'neutral' ? 'released' : result, ms, count: result !== 'neutral', rules: this.rules(config), ...(result === 'failure' ? { reason: 'the tool returned an error' } : {}) });
    this.options.events?.fire({ type: 'tool_stats_changed', tool: claim.key.slice(TOOL.length), at: this.options.clock() });
  }

  /**
   * Closes a tool's breaker by hand (the user's Reset Breaker), for every process: the failure streak is
   * forgotten and the next call runs; calls, failures and latency stay (they are history, not state).
   */
  reset(tool: string): void {
    this.state.reset(toolKey(tool), 'reset by the user').catch(this.onError);
  }

  stats(tools: readonly string[]): ToolStats[] {
    const view = this.state.view();
    return tools.map((tool) => {
      const b = view.breakers[toolKey(tool)];
      const state = b?.snap.state ?? 'closed';
      const calls = b?.calls ?? 0;
      const retryAt = b === undefined ? undefined : retryAtOf(b.snap, b);
      const s = { tool, state, failures: b?.failures ?? 0, successes: b?.successes ?? 0, calls, avgMs: calls === 0 ? 0 : (b?.totalMs ?? 0) / calls };
      return retryAt !== undefined && state !== 'closed' ? { ...s, retryAt } : s;
    });
  }

  /** Every change is recorded when its operation returns; kept for hosts that wait before exiting. */
  flush(): Promise<void> {
    return Promise.resolve();
  }

  dispose(): void {
    this.subscription.dispose();
  }

  private rules(config: BreakerConfig): BreakerRules {
    return { threshold: config.threshold, openMs: config.resetMs, probeMaxMs: this.options.probeMaxMs ?? 120_000, enabled: true };
  }
}
