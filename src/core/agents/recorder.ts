import type { RunEvent, RunEventInput, RunEventType } from '../runs/events';
import type { RunLogWriter } from '../runs/runLog';

/**
 * Appends to one run's log and tells the runtime; every step is recorded before it is taken.
 * `durable()` resolves once everything recorded so far is on disk: await it before a side effect.
 */
export type Recorder = (<T extends RunEventType>(type: T, payload: RunEventInput<T>) => Extract<RunEvent, { type: T }>) & { readonly durable: () => Promise<void> };

/** A recorder over one writer, telling `onEvent` of each event once it is written. */
export function recorderFor(runId: string, writer: RunLogWriter, onEvent: ((runId: string, event: RunEvent) => void) | undefined): Recorder {
  const record = <T extends RunEventType>(type: T, payload: RunEventInput<T>) => {
    const event = writer.append(type, payload);
    onEvent?.(runId, event);
    return event;
  };
  return Object.assign(record, { durable: () => writer.durable() });
}
