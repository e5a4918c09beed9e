import { z } from 'zod';
import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import { providerKindSchema } from '../config/schema';
import { JsonlAppender, readJsonl } from '../store/jsonlFile';
import { systemClock, type Clock } from '../common/clock';

const tokens = z.number().int().nonnegative();

/** One line of `StoreLayout.costLedger`: one provider call. */
export const costEntrySchema = z.object({
  /** Epoch ms. */
  at: z.number(),
  runId: z.string().optional(),
  agent: z.string(),
  /** Agents above `agent` whose budgets this call also counts against (a delegate's callers). */
  chargedTo: z.array(z.string()).optional(),
  provider: providerKindSchema,
  model: z.string(),
  usage: z.object({ inputTokens: tokens, outputTokens: tokens, cacheReadTokens: tokens, cacheCreationTokens: tokens }),
  usd: z.number().nonnegative(),
  priceSource: z.string().optional(),
});
export type CostEntry = z.infer<typeof costEntrySchema>;

export interface CostBucket {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheCreationTokens: number;
  usd: number;
}

export interface CostTotals {
  readonly total: CostBucket;
  readonly byRun: Readonly<Record<string, CostBucket>>;
  readonly byAgent: Readonly<Record<string, CostBucket>>;
  readonly byModel: Readonly<Record<string, CostBucket>>;
  /** By UTC day, `YYYY-MM-DD`. */
  readonly byDay: Readonly<Record<string, CostBucket>>;
}

export interface CostLedgerOptions {
  /** `StoreLayout.costLedger`. */
  readonly file: string;
  readonly events: Emitter<CoreEvent>;
  readonly clock?: Clock;
}

/**
 * The append-only cost ledger (JSONL, fsync per line). Budgets are sums over it, so it is read in
 * full when opened — the CLI in a loop sees what earlier invocations spent. Totals are kept in memory
 * and updated synchronously on `record`, before the line is on disk, so a concurrent budget check
 * never misses a call that just finished.
 */
export class CostLedger {
  private readonly appender: JsonlAppender;
  private readonly all: CostEntry[] = [];
  private spentTotal = 0;
  private readonly spentByAgent = new Map<string, number>();
  private readonly clock: Clock;
  /** Line numbers of the file that could not be read when it was opened (reported, never rewritten). */
  invalidLines: readonly number[] = [];

  private constructor(private readonly options: CostLedgerOptions) {
    this.appender = new JsonlAppender(options.file);
    this.clock = options.clock ?? systemClock;
  }

  /** `StoreLayout.costLedger`. */
  get file(): string {
    return this.options.file;
  }

  static async open(options: CostLedgerOptions): Promise<CostLedger> {
    const ledger = new CostLedger(options);
    const { entries, invalidLines } = await readJsonl(options.file, costEntrySchema);
    for (const e of entries) ledger.add(e);
    ledger.invalidLines = invalidLines;
    return ledger;
  }

  /** Records one call; the returned promise resolves when the line is on disk. */
  record(entry: Omit<CostEntry, 'at'> & { at?: number }): Promise<CostEntry> {
    const full = costEntrySchema.parse({ ...entry, at: entry.at ?? this.clock() });
    this.add(full);
    this.options.events.fire({ type: 'cost_recorded', runId: full.runId, agent: full.agent, model: full.model, usd: full.usd, at: full.at });
    return this.appender.append(full).then(() => full);
  }

  entries(): readonly CostEntry[] {
    return this.all;
  }

  /** USD spent by the whole workspace, or by one agent (including calls charged to it by its delegates). */
  spent(agent?: string): number {
    return agent === undefined ? this.spentTotal : (this.spentByAgent.get(agent) ?? 0);
  }

  private add(e: CostEntry): void {
    this.all.push(e);
    this.spentTotal += e.usd;
    for (const name of new Set([e.agent, ...(e.chargedTo ?? [])])) this.spentByAgent.set(name, (this.spentByAgent.get(name) ?? 0) + e.usd);
  }

  totals(): CostTotals {
    const totals: { total: CostBucket; byRun: Record<string, CostBucket>; byAgent: Record<string, CostBucket>; byModel: Record<string, CostBucket>; byDay: Record<string, CostBucket> } = { total: bucket(), byRun: {}, byAgent: {}, byModel: {}, byDay: {} };
    for (const e of this.all) {
      add(totals.total, e);
      if (e.runId !== undefined) add((totals.byRun[e.runId] ??= bucket()), e);
      add((totals.byAgent[e.agent] ??= bucket()), e);
      add((totals.byModel[e.model] ??= bucket()), e);
      add((totals.byDay[new Date(e.at).toISOString().slice(0, 10)] ??= bucket()), e);
    }
    return totals;
  }

  /** The exported JSON: every request, a summary and the budget. */
  export(budgetUsd: number | null = null): string {
    const totals = this.totals();
    return JSON.stringify(
      {
        requests: this.all.map((e) => ({
          timestamp: new Date(e.at).toISOString(),
          run_id: e.runId,
          agent: e.agent,
          provider: e.provider,
          model: e.model,
          input_tokens: e.usage.inputTokens,
          output_tokens: e.usage.outputTokens,
          cache_read_tokens: e.usage.cacheReadTokens,
          cache_creation_tokens: e.usage.cacheCreationTokens,
          total_cost: e.usd,
        })),
        summary: {
          total_requests: totals.total.calls,
          total_input_tokens: totals.total.inputTokens,
          total_output_tokens: totals.total.outputTokens,
          total_tokens: totals.total.inputTokens + totals.total.outputTokens,
          total_cache_read_tokens: totals.total.cacheReadTokens,
          total_cache_creation_tokens: totals.total.cacheCreationTokens,
          total_cost_usd: round6(totals.total.usd),
          by_model: mapValues(totals.byModel, snake),
          by_agent: mapValues(totals.byAgent, snake),
          by_run: mapValues(totals.byRun, snake),
          by_day: mapValues(totals.byDay, snake),
        },
        budget_limit: budgetUsd,
      },
      null,
      2,
    );
  }

  /** Resolves when every recorded line is on disk; rejects if a write failed. */
  flush(): Promise<void> {
    return this.appender.flush();
  }
}

function bucket(): CostBucket {
  return { calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0, usd: 0 };
}

function add(b: CostBucket, e: CostEntry): void {
  b.calls++;
  b.inputTokens += e.usage.inputTokens;
  b.outputTokens += e.usage.outputTokens;
  b.cacheReadTokens += e.usage.cacheReadTokens;
  b.cacheCreationTokens += e.usage.cacheCreationTokens;
  b.usd += e.usd;
}

function snake(b: CostBucket) {
  return { requests: b.calls, input_tokens: b.inputTokens, output_tokens: b.outputTokens, cache_read_tokens: b.cacheReadTokens, cost_usd: round6(b.usd) };
}

function mapValues<A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}

function round6(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
