import { Emitter, type Event } from '../common/event';
import type { RunEvent } from '../runs/events';
import type { RunState } from '../runs/runState';
import type { CascadeGuard } from './cascadeGuard';
import { Orchestrator } from './orchestrator';
import type { AgentRuntime, FallbackRunner } from './runtime';
import { TaskControl } from './taskControl';

/** An event of one of the operation's runs (its root run, a delegate's run, a task's step run), as it is recorded (queued for the log; on disk before any side effect that follows it). */
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

/** What every operation's agent layer shares; the per-operation callbacks are added by `operationScopes`. */
export interface OperationScopeDeps {
  readonly runtime: Omit<AgentRuntime, 'onRunEvent' | 'onText' | 'onDiscard' | 'fallback'>;
  /** The fallback runner of one operation; `runAgent` starts a fallback agent's run with the operation's runner. */
  readonly fallbackFor: (runAgent: (agent: string, prompt: string, signal: AbortSignal) => Promise<RunState>) => FallbackRunner;
  /** Shared by every operation: a failed step quarantines its agent for everyone. */
  readonly guard: CascadeGuard;
  /** Every event of every operation's runs, for what the whole process follows (the status tree). */
  readonly onAnyRunEvent: (runId: string, event: RunEvent) => void;
  /** After an operation succeeded: the runs it changed, and the answers of those it completed (transcripts, the answer cache). */
  readonly afterOperation: (touched: ReadonlySet<string>, completed: ReadonlyMap<string, string>) => void;
}

/** The agent layer of one operation: its runner, tasks and task control, all over the operation's own runtime. */
export interface OperationScope {
  readonly orchestrator: Orchestrator;
  readonly taskControl: TaskControl;
}

/**
 * Builds, per operation, a runtime whose callbacks go to that operation's sink, and the runner, tasks
 * and task control over it. Every run the operation starts — delegates (the tool step uses the same
 * runner), a task's steps (the task runner too), a fallback agent's run — is started by this runner,
 * so its events reach this operation's handle and no other.
 */
export function operationScopes(deps: OperationScopeDeps): {
  /** For what reads runs and drives none (task results, pending approvals): its runtime reports to no operation. */
  readonly reader: OperationScope;
  /** Starts `body` as an operation with its own streams and its own agent layer. */
  start<R>(options: OperationOptions | undefined, rootRunId: string | undefined, body: (scope: OperationScope, signal: AbortSignal) => Promise<R>): RunHandle<R>;
} {
  const scopeFor = (sink: OperationSink | undefined, touched: Set<string>, completed: Map<string, string>): OperationScope => {
    const rt: AgentRuntime = {
      ...deps.runtime,
      // The orchestrator is created just below, before any run (and so any fallback) can start.
      fallback: deps.fallbackFor((agent, prompt, signal) => orchestrator.runner.start({ agent, prompt }, signal)),
      onRunEvent: (runId, event) => {
        touched.add(runId);
        if (event.type === 'run_completed') completed.set(runId, event.payload.output);
        sink?.event(runId, event);
        deps.onAnyRunEvent(runId, event);
      },
      ...(sink ? { onText: (runId: string, agent: string, delta: string) => sink.text(runId, agent, delta), onDiscard: (runId: string, agent: string, partial: string, reason: string) => sink.discard(runId, agent, partial, reason) } : {}),
    };
    const orchestrator = new Orchestrator(rt, deps.guard);
    const taskControl = new TaskControl(rt.store, orchestrator.runner, orchestrator.tasks, rt.onWarning);
    return { orchestrator, taskControl };
  };
  return {
    reader: scopeFor(undefined, new Set(), new Map()),
    start: (options, rootRunId, body) =>
      startOperation(options ?? {}, rootRunId, async (sink, signal) => {
        const touched = new Set<string>();
        const completed = new Map<string, string>();
        const result = await body(scopeFor(sink, touched, completed), signal);
        deps.afterOperation(touched, completed);
        return result;
      }),
  };
}
