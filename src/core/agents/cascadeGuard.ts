export interface CascadeGuardOptions {
  /** How long a failed agent's outputs stay quarantined, in milliseconds; defaults to 300 s. */
  readonly ttlMs?: number;
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
}

/**
 * The cascade guard: when an agent fails, what it produced is quarantined for a while, and
 * agents downstream get an explicit "unavailable from <agent>: <reason>" marker instead of partial or
 * corrupted output they would otherwise trust and build on.
 */
export class CascadeGuard {
  private readonly quarantined = new Map<string, { reason: string; until: number }>();

  constructor(private readonly options: CascadeGuardOptions = {}) {}

  /** `at`: when the failure happened, in epoch ms; defaults to now (a resumed task replays its recorded failures). */
  quarantine(agent: string, reason: string, at: number = this.now()): void {
    this.quarantined.set(agent, { reason, until: at + (this.options.ttlMs ?? 300_000) });
  }

  /** An empty guard with the same TTL and clock (a task rebuilds its own from its log). */
  fork(): CascadeGuard {
    return new CascadeGuard(this.options);
  }

  /** A later success of the same agent lifts its quarantine. */
  release(agent: string): void {
    this.quarantined.delete(agent);
  }

  /** The reason while `agent` is quarantined, else undefined. */
  reasonFor(agent: string): string | undefined {
    const q = this.quarantined.get(agent);
    if (!q) return undefined;
    if (this.now() >= q.until) {
      this.quarantined.delete(agent);
      return undefined;
    }
    return q.reason;
  }

  /** What a downstream step sees from `agent`: its output, or the marker while it is quarantined. */
  view(agent: string, output: string): string {
    const reason = this.reasonFor(agent);
    return reason === undefined ? output : unavailableMarker(agent, reason);
  }

  private now(): number {
    return (this.options.clock ?? Date.now)();
  }
}

export function unavailableMarker(agent: string, reason: string): string {
  return `[unavailable from ${agent}: ${reason}]`;
}
