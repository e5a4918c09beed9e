import { Emitter } from '../../../src/core/common/event';
import type { CoreEvent } from '../../../src/core/common/coreEvents';
import type { ProviderPolicySettings } from '../../../src/core/resilience/providerPolicy';

export function policySettings(overrides: Partial<ProviderPolicySettings> = {}): ProviderPolicySettings {
  return {
    requestsPerMinute: 1000,
    tokensPerMinute: null,
    maxRetries: 3,
    retryDelayMs: 1000,
    breakerEnabled: true,
    breakerThreshold: 5,
    breakerOpenMs: 30_000,
    timeoutMs: 300_000,
    ...overrides,
  };
}

/** The CoreEvent variant(s) whose `type` can be `T` (some variants share one shape for two types). */
export type EventOf<T extends CoreEvent['type']> = CoreEvent extends infer E ? (E extends { type: infer U } ? (T extends U ? E : never) : never) : never;

/** An event bus that records what it fired. */
export function recordingBus(): { bus: Emitter<CoreEvent>; events: CoreEvent[]; of: <T extends CoreEvent['type']>(type: T) => EventOf<T>[] } {
  const bus = new Emitter<CoreEvent>();
  const events: CoreEvent[] = [];
  bus.event((e) => events.push(e));
  return { bus, events, of: (type) => events.filter((e) => e.type === type) as never };
}

/** Lets queued microtasks and promise chains settle without moving fake time. */
export async function settle(clock: { tickAsync(ms: number): Promise<number> }): Promise<void> {
  await clock.tickAsync(0);
}
