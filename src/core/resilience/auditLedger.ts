import { z } from 'zod';
import type { Event } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { Disposable } from '../common/lifecycle';
import { PROVIDER_ERROR_KINDS } from '../providers/errors';
import { JsonlAppender, readJsonl } from '../store/jsonlFile';

const breakerState = z.enum(['closed', 'open', 'half_open']);

/** One line of `StoreLayout.auditLedger`: the CoreEvent as it was fired. */
export const auditEntrySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('provider_failure'),
    name: z.string(),
    kind: z.enum(PROVIDER_ERROR_KINDS),
    message: z.string(),
    cause: z.string().optional(),
    attempt: z.number(),
    willRetry: z.boolean(),
    retryInMs: z.number().optional(),
    at: z.number(),
  }),
  z.object({
    type: z.literal('breaker_transition'),
    scope: z.enum(['provider', 'tool']),
    name: z.string(),
    from: breakerState,
    to: breakerState,
    at: z.number(),
    reason: z.string().optional(),
    retryAt: z.number().optional(),
  }),
  z.object({ type: z.literal('fallback_used'), agent: z.string(), strategy: z.string(), detail: z.string(), at: z.number() }),
  z.object({ type: z.literal('budget_refused'), scope: z.enum(['workspace', 'agent']), name: z.string().optional(), spentUsd: z.number(), budgetUsd: z.number(), at: z.number() }),
]);
export type AuditEntry = z.infer<typeof auditEntrySchema>;

const AUDITED = new Set<CoreEvent['type']>(['provider_failure', 'breaker_transition', 'fallback_used', 'budget_refused']);

/**
 * Appends every failure (with its cause's stack), breaker transition, fallback and budget refusal
 * from the CoreEvent bus to the audit ledger (JSONL, fsync per line, in firing order). A write that
 * fails goes to `onError` (default: re-thrown asynchronously), never silently dropped; `flush` rejects with
 * it too, so a run cannot end as if everything were recorded.
 */
export class AuditLedger implements Disposable {
  private readonly appender: JsonlAppender;
  private readonly subscription: Disposable;

  constructor(
    file: string,
    events: Event<CoreEvent>,
    private readonly onError: (err: Error) => void = (err) => queueMicrotask(() => { throw err; }),
  ) {
    this.appender = new JsonlAppender(file);
    this.subscription = events((e) => {
      // A transition another process caused is that process's to record: the ledger has it once.
      if (!AUDITED.has(e.type) || (e.type === 'breaker_transition' && e.observed === true)) return;
      this.appender.append(e).catch((err: unknown) => this.onError(new Error(`Could not append a ${e.type} event to the audit ledger ${file}`, { cause: err })));
    });
  }

  /** Resolves when every event so far is on disk. */
  flush(): Promise<void> {
    return this.appender.flush();
  }

  dispose(): void {
    this.subscription.dispose();
  }
}

export interface AuditQuery {
  /** Only these event types. */
  readonly types?: readonly AuditEntry['type'][];
  /** Only entries for this provider/tool (transitions, failures) or agent (fallbacks). */
  readonly name?: string;
  /** Epoch ms; only entries at or after it. */
  readonly since?: number;
  /** The last N matching entries; defaults to all. */
  readonly limit?: number;
}

/** Reads the audit ledger for `--status` and the tree view; unreadable lines are counted, not fatal. */
export async function readAuditLedger(file: string, query: AuditQuery = {}): Promise<{ entries: AuditEntry[]; invalidLines: number[] }> {
  const { entries, invalidLines } = await readJsonl(file, auditEntrySchema);
  const matching = entries.filter(
    (e) =>
      (query.types === undefined || query.types.includes(e.type)) &&
      (query.since === undefined || e.at >= query.since) &&
      (query.name === undefined || ('name' in e ? e.name === query.name : 'agent' in e && e.agent === query.name)),
  );
  return { entries: query.limit === undefined ? matching : matching.slice(-query.limit), invalidLines };
}
