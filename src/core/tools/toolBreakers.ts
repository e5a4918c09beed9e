import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { Emitter } from '../common/event';
import type { BreakerState, CoreEvent } from '../common/coreEvents';
import { atomicWriteFile } from '../sandbox/atomicWrite';
import type { ToolStats } from './types';

/** Seed 000's per-tool breaker settings. */
export interface BreakerConfig {
  /** Consecutive failures that open the breaker; default 3. */
  readonly threshold: number;
  /** Milliseconds an open breaker waits before one probe; default 300 000. */
  readonly resetMs: number;
}

const recordSchema = z.object({
  state: z.enum(['closed', 'open', 'half_open']),
  consecutiveFailures: z.number().int().nonnegative(),
  failures: z.number().int().nonnegative(),
  successes: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
  totalMs: z.number().nonnegative(),
  retryAt: z.number().optional(),
});
type BreakerRecord = z.infer<typeof recordSchema>;
const fileSchema = z.record(z.string(), recordSchema);

export type Admission = { readonly ok: true } | { readonly ok: false; readonly retryAt: number };

export interface ToolBreakersOptions {
  readonly clock: () => number;
  readonly events?: Emitter<CoreEvent>;
  /** `StoreLayout.toolBreakers`; state survives reloads and CLI invocations when given. */
  readonly persistPath?: string;
  /** Where a failure to load or save breaker state goes; defaults to re-throwing asynchronously. */
  readonly onError?: (err: unknown) => void;
}

/**
 * A circuit breaker and fleet stats per tool (seed 000): an error result counts as a failure, a
 * refused call counts as nothing; an open breaker lets one probe through after the reset time.
 */
export class ToolBreakers {
  private readonly records = new Map<string, BreakerRecord>();
  private readonly probing = new Set<string>();
  private saving: Promise<void> = Promise.resolve();
  private readonly onError: (err: unknown) => void;

  constructor(private readonly options: ToolBreakersOptions) {
    this.onError = options.onError ?? ((err) => queueMicrotask(() => { throw err; }));
    if (options.persistPath !== undefined) this.load(options.persistPath);
  }

  admit(tool: string, config: BreakerConfig): Admission {
    const r = this.record(tool);
    if (r.state === 'closed') return { ok: true };
    const now = this.options.clock();
    if (r.state === 'open') {
      if (now < (r.retryAt ?? 0)) return { ok: false, retryAt: r.retryAt ?? now + config.resetMs };
      this.transition(tool, r, 'half_open', 'reset time elapsed; one probe may run');
    }
    if (this.probing.has(tool)) return { ok: false, retryAt: now + 1000 };
    this.probing.add(tool);
    return { ok: true };
  }

  /** Fails fast without admitting a probe (for `prepare`, which must not consume it). */
  peek(tool: string): Admission {
    const r = this.record(tool);
    if (r.state === 'open' && this.options.clock() < (r.retryAt ?? 0)) return { ok: false, retryAt: r.retryAt ?? 0 };
    return { ok: true };
  }

  settle(tool: string, result: 'success' | 'failure' | 'neutral', ms: number, config: BreakerConfig): void {
    const r = this.record(tool);
    this.probing.delete(tool);
    if (result !== 'neutral') {
      r.calls++;
      r.totalMs += ms;
    }
    if (result === 'success') {
      r.successes++;
      r.consecutiveFailures = 0;
      if (r.state !== 'closed') this.transition(tool, r, 'closed', 'probe succeeded');
    } else if (result === 'failure') {
      r.failures++;
      r.consecutiveFailures++;
      if (r.state === 'half_open' || (r.state === 'closed' && r.consecutiveFailures >= config.threshold)) {
        r.retryAt = this.options.clock() + config.resetMs;
        this.transition(tool, r, 'open', `${r.consecutiveFailures} consecutive failures`);
      }
    }
    this.options.events?.fire({ type: 'tool_stats_changed', tool, at: this.options.clock() });
    this.persist();
  }

  /**
   * Closes a tool's breaker by hand (the user's Reset Breaker): the failure streak is forgotten and
   * the next call runs; calls, failures and latency stay (they are history, not state). Emits the
   * transition when the breaker was not closed, and persists like every other change.
   */
  reset(tool: string): void {
    const r = this.record(tool);
    this.probing.delete(tool);
    r.consecutiveFailures = 0;
    if (r.state !== 'closed') this.transition(tool, r, 'closed', 'reset by the user');
    else this.persist();
  }

  stats(tools: readonly string[]): ToolStats[] {
    return tools.map((tool) => {
      const r = this.record(tool);
      const s = { tool, state: r.state, failures: r.failures, successes: r.successes, calls: r.calls, avgMs: r.calls === 0 ? 0 : r.totalMs / r.calls };
      return (r.state === 'open' ? { ...s, retryAt: r.retryAt } : s) as ToolStats;
    });
  }

  /** Waits for pending saves (tests and shutdown). */
  flush(): Promise<void> {
    return this.saving;
  }

  private record(tool: string): BreakerRecord {
    let r = this.records.get(tool);
    if (r === undefined) {
      r = { state: 'closed', consecutiveFailures: 0, failures: 0, successes: 0, calls: 0, totalMs: 0 };
      this.records.set(tool, r);
    }
    return r;
  }

  private transition(tool: string, r: BreakerRecord, to: BreakerState, reason: string): void {
    const from = r.state;
    r.state = to;
    if (to !== 'open') delete r.retryAt;
    this.options.events?.fire({ type: 'breaker_transition', scope: 'tool', name: tool, from, to, at: this.options.clock(), reason, ...(r.retryAt !== undefined ? { retryAt: r.retryAt } : {}) });
    this.persist();
  }

  private load(file: string): void {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.onError(err);
      return;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      this.onError(new Error(`Ignoring ${file}: ${parsed.error.message}`));
      return;
    }
    for (const [tool, r] of Object.entries(parsed.data)) this.records.set(tool, r.state === 'half_open' ? { ...r, state: 'open' } : r);
  }

  private persist(): void {
    const file = this.options.persistPath;
    if (file === undefined) return;
    const snapshot = JSON.stringify(Object.fromEntries(this.records), null, 2);
    this.saving = this.saving
      .then(async () => {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await atomicWriteFile(file, snapshot);
      })
      .catch((err) => this.onError(err));
  }
}
