import { Emitter, type Event } from '../common/event';
import type { RunEvent } from '../runs/events';

/** An event of one of the operation's runs (its root run, a delegate's run, a task's step run), after it is durable. */
export interface OperationRunEvent {
  readonly runId: string;
  readonly event: RunEvent;
}
/** Streamed model text of one of the operation's runs (progress; never written to the log until the turn completes). */
export interface OperationText {
  readonly runId: string;
  readonly agent: string;
  readonly delta: string;
}
/** A turn's streamed text is being discarded: its stream broke and the turn is asked again from scratch. */
export interface OperationDiscard {
  readonly runId: string;
  readonly agent: string;
  readonly partialText: string;
  readonly reason: string;
}

/**
 * Where the runs of ONE operation report. The core gives each operation its own runtime whose
 * recorder, text and discard callbacks call this sink, and every run the operation starts — its
 * delegates' child runs, a task's step runs, a fallback agent's run — is started by that runtime's
 * runner: the routing is by construction, nothing is matched by run id or agent afterwards.
 */
export interface OperationSink {
  event(runId: string, event: RunEvent): void;
  text(runId: string, agent: string, delta: string): void;
  discard(runId: string, agent: string, partialText: string, reason: string): void;
}

/**
 * One operation of the core (`ask`, `askAll`, `runTask`, `resume`, `approve`, `deny`, `resumeTask`):
 * its own event and text streams, its result, and a way to stop it. The handle is the result's
 * promise itself (`await handle` and `handle.result` are the same). The operation starts on the next microtask: subscribe before the first `await` and no
 * event is missed.
 */
export interface OperationHandle<R> extends Promise<R> {
  /** Every event of this operation's runs, and only of them. */
  readonly onEvent: Event<OperationRunEvent>;
  readonly onText: Event<OperationText>;
  readonly onDiscard: Event<OperationDiscard>;
  readonly result: Promise<R>;
  /** Stops the operation as its `signal` would: running runs are recorded as cancelled (interrupted, resumable). */
  cancel(reason?: unknown): void;
}

/** An operation with one root run. */
export interface RunHandle<R> extends OperationHandle<R> {
  /**
   * The operation's root run: the run `ask` started, the task run `runTask` started, the run given to
   * `resume`/`approve`/`deny`/`resumeTask`. Rejects like `result` when the operation failed before
   * its run existed (an unknown agent, an unreadable log).
   */
  readonly runId: Promise<string>;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
}

/**
 * Starts `body` as an operation with its own streams. `rootRunId` is known for operations on an
 * existing run; otherwise the root is the first run the operation records an event for (the root
 * run is always created before any run under it).
 */
export function startOperation<R>(options: OperationOptions, rootRunId: string | undefined, body: (sink: OperationSink, signal: AbortSignal) => Promise<R>): RunHandle<R> {
  const events = new Emitter<OperationRunEvent>();
  const texts = new Emitter<OperationText>();
  const discards = new Emitter<OperationDiscard>();
  const own = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, own.signal]) : own.signal;
  let settleRoot!: { resolve: (id: string) => void; reject: (e: unknown) => void };
  let root = rootRunId;
  const runId = rootRunId !== undefined ? Promise.resolve(rootRunId) : new Promise<string>((resolve, reject) => (settleRoot = { resolve, reject }));
  // A caller that only awaits `result` must not see an unhandled rejection of `runId`.
  runId.catch(() => undefined);
  const sink: OperationSink = {
    event: (id, event) => {
      if (root === undefined) {
        root = id;
        settleRoot.resolve(id);
      }
      events.fire({ runId: id, event });
    },
    text: (id, agent, delta) => texts.fire({ runId: id, agent, delta }),
    discard: (id, agent, partialText, reason) => discards.fire({ runId: id, agent, partialText, reason }),
  };
  // Deferred by a microtask so that the caller subscribes before the first event is recorded.
  const result = Promise.resolve().then(() => body(sink, signal));
  void result
    .then(
      () => root === undefined && settleRoot.reject(new Error('the operation ended before it started a run')),
      (e: unknown) => root === undefined && settleRoot.reject(e),
    )
    .finally(() => {
      events.dispose();
      texts.dispose();
      discards.dispose();
    });
  return Object.assign(result, {
    runId,
    onEvent: events.event,
    onText: texts.event,
    onDiscard: discards.event,
    result,
    cancel: (reason?: unknown) => own.abort(reason ?? new Error('Cancelled')),
  });
}
