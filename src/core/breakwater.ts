import { Emitter, type Event } from './common/event';
import type { CoreEvent } from './common/coreEvents';
import type { Disposable } from './common/lifecycle';
import { AgentRunner, isTerminal, type Recorder } from './agents/agentRunner';
import type { Approver } from './agents/approvals';
import { CascadeGuard } from './agents/cascadeGuard';
import { NothingPendingError, pendingIn } from './agents/pendingApprovals';
import { TaskControl } from './agents/taskControl';
import { Orchestrator, type AgentOutcome, type TaskResult } from './agents/orchestrator';
import { createFallbackRunner } from './agents/fallbackRunner';
import type { AgentRuntime, FallbackRunner } from './agents/runtime';
import { ConfigWatcher } from './config/configWatcher';
import { loadConfig, type LoadedConfig } from './config/loader';
import { agentSchema, type BreakwaterConfig } from './config/schema';
import type { SecretSource } from './providers/types';
import { AnswerCache } from './resilience/answerCache';
import { AuditLedger } from './resilience/auditLedger';
import type { EscalationChoice, EscalationRequest } from './resilience/fallback';
import type { ModelGateway } from './resilience/modelGateway';
import { ResilientModelGateway } from './resilience/resilientModelGateway';
import type { RunEvent } from './runs/events';
import type { RunLogWriterOptions } from './runs/runLog';
import type { PendingApproval, RunState } from './runs/runState';
import { RunStore, type RunSummary } from './runs/runStore';
import { writeTranscript } from './runs/transcript';
import { undoRun, type UndoResult } from './runs/undo';
import { openSharedState } from './state/openSharedState';
import { StoreLayout } from './store/storeLayout';
import { createToolEngine, type BreakwaterToolEngine } from './tools/toolEngine';
import type { PreparedCall, ToolEngine, ToolHost, ToolOutcome } from './tools/types';
import { buildStatus, checkHealth, type BreakwaterStatus, type HealthReport } from './agents/statusReport';

export type { Approver, ApprovalPrompt, ApprovalAnswer } from './agents/approvals';
export type { AgentOutcome, TaskResult } from './agents/orchestrator';
export { NothingPendingError, isNothingPendingError } from './agents/pendingApprovals';
export type { RunState, PendingApproval, ToolCallState, RunStatus, ToolCallStatus } from './runs/runState';
export type { RunSummary } from './runs/runStore';
export type { TaskState, TaskStepState } from './runs/taskFold';
export type { UndoResult } from './runs/undo';
export type { BreakwaterStatus, HealthReport, BreakerRow } from './agents/statusReport';
export type { RunEvent } from './runs/events';
export type { PreparedCall, ToolOutcome } from './tools/types';

/** What became of a write the user proposed: the tool's outcome, or nothing written because the user rejected it. */
export type ProposedWriteOutcome = ToolOutcome | { readonly status: 'rejected' };

/** The agent name the user's own writes (Apply on a code block) are judged under. */
export const USER_WRITER = 'you (Apply)';
/** Proposals kept for a decision; older undecided ones are dropped (their cards can no longer apply). */
const MAX_PROPOSALS = 50;

export interface BreakwaterOptions {
  /** Absolute workspace folder paths (multi-root aware); the first one is the default for relative paths. */
  readonly workspaceFolders: readonly string[];
  /** The store folder (run logs, breakers, costs, audit); the CLI uses `<workspace>/.breakwater/runs`. */
  readonly storeDir: string;
  /** The agents file; a missing file means the built-in default config. */
  readonly configFile: string;
  readonly secrets: SecretSource;
  /** False in Restricted Mode: only read-only tools. */
  readonly trusted: boolean;
  /** ripgrep binary for grep/glob. */
  readonly ripgrepPath: string;
  /** Asked for each call that needs approval; without one, such calls pause the run. */
  readonly approver?: Approver;
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /** Environment for provider base-URL variables; defaults to `process.env`. Never passed to tools. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Reload the agents file when it changes, and follow what other processes do to the shared limits, breakers and
   * budgets (`shared_state_changed`); defaults to false (the CLI runs once).
   */
  readonly watchConfig?: boolean;
  /** Overrides for tests and hosts: a gateway, a tool engine, a fallback runner. */
  readonly gateway?: ModelGateway;
  readonly toolEngine?: ToolEngine;
  readonly fallback?: FallbackRunner;
  /** The `escalate` fallback asks here; without it the answer is `cancel`. */
  readonly escalate?: (request: EscalationRequest) => Promise<EscalationChoice>;
  /** Streamed model text of every run (progress). */
  readonly onText?: (runId: string, agent: string, delta: string) => void;
  /** A turn's streamed text is being discarded because its stream broke and the turn is asked again. */
  readonly onDiscard?: (runId: string, agent: string, partialText: string, reason: string) => void;
  /** TEST HOOK (crash tests): see `RunLogWriterOptions.onDurable`. */
  readonly onDurable?: RunLogWriterOptions['onDurable'];
  /** How deep `delegate` may nest; defaults to 3. */
  readonly maxDelegateDepth?: number;
}

/** Everything both hosts (the VS Code extension and the CLI) call. */
export interface Breakwater extends Disposable {
  readonly layout: StoreLayout;
  readonly events: Event<CoreEvent>;
  /** Every run event, after it is durable: `(runId, event)`. */
  readonly onRunEvent: Event<{ readonly runId: string; readonly event: RunEvent }>;
  /** Config errors of a reload (the previous config stays in use). */
  readonly onConfigError: Event<unknown>;
  /**
   * Things to tell the user that are not run events (a torn log line repaired on resume; damaged state
   * files, with `runId` ''). Warnings raised while the core was being created reach the first listener.
   */
  readonly onWarning: Event<{ readonly runId: string; readonly message: string }>;
  config(): BreakwaterConfig;
  loadedConfig(): LoadedConfig;
  ask(agent: string, prompt: string, options?: { signal?: AbortSignal; context?: string }): Promise<RunState>;
  askAll(prompt: string, options?: { signal?: AbortSignal }): Promise<Map<string, AgentOutcome>>;
  /** Runs a configured task as a durable task run of its own (`TaskResult.taskRunId`); a step that waits on a human pauses it. */
  runTask(task: string, prompt?: string, options?: { signal?: AbortSignal }): Promise<TaskResult>;
  /**
   * Continues a run from where its log ends; pending approvals are asked again (or the run stays paused).
   * A task's step run, or a task run itself, continues the whole task (see `resumeTask`); the state
   * returned is that step's (for a task run id: the last step that has a run).
   */
  resume(runId: string, options?: { signal?: AbortSignal }): Promise<RunState>;
  /**
   * Approves the run's pending call (or all of them) as the user, then continues the run. For a task's
   * step run, or the task run itself (its paused step's calls), the rest of the task continues too.
   */
  approve(runId: string, callId?: string, options?: { signal?: AbortSignal }): Promise<RunState>;
  /**
   * Denies the run's pending call (or all), then continues the run (the model is told). In a task, a
   * denial fails the step instead (its other waiting calls are skipped) and the task goes on: later
   * steps get CascadeGuard's "unavailable" marker.
   */
  deny(runId: string, callId?: string, reason?: string, options?: { signal?: AbortSignal }): Promise<RunState>;
  /** Continues a task run from its first unfinished step (after a pause or a crash); a finished step never runs again. */
  resumeTask(taskRunId: string, options?: { signal?: AbortSignal }): Promise<TaskResult>;
  /** A task run as its logs say now (nothing is driven). Throws `WrongRunKindError` for an agent run's id. */
  taskResult(taskRunId: string): TaskResult;
  /** The task run `runId` belongs to: itself for a task run, its task's for a step run (or a delegate under one), else undefined. */
  taskRunOf(runId: string): string | undefined;
  undo(runId: string): UndoResult;
  state(runId: string): RunState;
  /** Pending approvals of a run and of the delegate runs it waits on; for a task run, those of its paused step. */
  pendingApprovals(runId: string): { runId: string; approval: PendingApproval }[];
  listRuns(): RunSummary[];
  status(): BreakwaterStatus;
  health(options?: { signal?: AbortSignal }): Promise<HealthReport>;
  reloadConfig(): Promise<LoadedConfig>;
  /** Resolves when breaker state and costs are on disk (call before a process exits). */
  flush(): Promise<void>;
  /**
   * Closes a breaker by hand, for every process sharing it: a provider endpoint (`name` as in
   * `status().breakers.providers[].name`) or a tool (`status().breakers.tools[].name`). Announced as
   * `breaker_transition`. Rejects with `BreakerResetError` for an unknown name.
   */
  resetBreaker(scope: 'provider' | 'tool', name: string): Promise<void>;
  /** The cost ledger as the seed's `export()` JSON: every request, a summary and the budget. */
  exportCosts(): string;
  /**
   * Prepares the user's own write of `content` to `path` (relative to the first workspace folder, or
   * absolute) with the tool engine, exactly as an agent's `write`: the sandbox, protected paths,
   * `.breakwaterignore`, Restricted Mode and hard blocks all apply. Never writes. The result's
   * `approval` has the resolved real path and the diff to show; its `decision` says whether it may
   * run at all (`block`) and why it needs approval.
   */
  proposeWrite(path: string, content: string): Promise<PreparedCall>;
  /**
   * Decides a proposal of `proposeWrite` (by its `callId`; the core's own copy is what runs):
   * `approve` executes it as approved by the user — re-checked at execution, and refused if the file
   * changed since the diff was shown — and `reject` writes nothing. Each proposal is decided once;
   * an unknown or already decided one throws `UnknownProposalError`.
   */
  applyProposed(prepared: Pick<PreparedCall, 'callId'>, decision: 'approve' | 'reject', options?: { signal?: AbortSignal }): Promise<ProposedWriteOutcome>;
}

const never = new AbortController().signal;

/** The core composition root. */
export async function createBreakwater(options: BreakwaterOptions): Promise<Breakwater> {
  const clock = options.clock ?? Date.now;
  const layout = new StoreLayout(options.storeDir);
  const bus = new Emitter<CoreEvent>();
  const runEvents = new Emitter<{ runId: string; event: RunEvent }>();
  const configErrors = new Emitter<unknown>();
  const warnings = replayToFirstListener(new Emitter<{ runId: string; message: string }>());
  const warn = (message: string) => warnings.fire({ runId: '', message });
  let loaded = await loadConfig(options.configFile);
  const env = options.env ?? process.env;
  // One shared state per core: the providers' limiters, breakers and budgets and the tools' breakers.
  const shared = await openSharedState({ config: loaded.config.state, layout, env, clock });
  shared.warnings.forEach(warn);
  shared.state.onWarning(warn);
  const storeError = (err: Error) => warn(err.message);
  // A long-lived host (VS Code) shows what other processes (CLI runs, other windows, other machines) do.
  const sharedWatch = options.watchConfig ? shared.state.watch(() => bus.fire({ type: 'shared_state_changed', at: clock() })) : undefined;
  const gateway = options.gateway ?? (await ResilientModelGateway.open({ config: loaded.config, secrets: options.secrets, events: bus, store: layout, env, clock, state: shared.state, onStoreError: storeError }));
  const host: ToolHost = { workspaceFolders: options.workspaceFolders, trusted: options.trusted, ripgrepPath: options.ripgrepPath };
  const tools: ToolEngine | BreakwaterToolEngine = options.toolEngine ?? createToolEngine({ host, events: bus, clock, state: shared.state });
  const audit = new AuditLedger(layout.auditLedger, bus.event, storeError);
  const opened = await AnswerCache.open({ file: layout.answerCache, clock });
  if (opened.error) warn(opened.error.message);
  const answerCache = opened.cache;
  const store = new RunStore(layout, { clock, ...(options.onDurable ? { onDurable: options.onDurable } : {}) });
  /** Runs changed by the current operation, whose agents' transcripts need refreshing. */
  const touched = new Set<string>();
  const fallbackRunner: FallbackRunner = createFallbackRunner({
    config: () => loaded.config,
    gateway,
    cache: answerCache,
    events: bus,
    clock,
    // `orchestrator` is created below, before any run (and so any fallback) can start.
    runAgent: (agent, prompt, signal) => orchestrator.runner.start({ agent, prompt }, signal),
    ...(options.escalate ? { askUser: options.escalate } : {}),
  });
  const runtimeFor = (approver: Approver | undefined): AgentRuntime => ({
    config: () => loaded.config,
    configHash: () => loaded.hash,
    gateway,
    tools,
    store,
    facts: { workspaceFolders: options.workspaceFolders, trusted: options.trusted, platform: process.platform },
    ...(approver ? { approver } : {}),
    fallback: options.fallback ?? fallbackRunner,
    onRunEvent: (runId, event) => {
      touched.add(runId);
      if (event.type === 'run_completed') rememberAnswer(runId, event.payload.output);
      runEvents.fire({ runId, event });
      if (event.type === 'run_paused' || event.type === 'run_completed' || event.type === 'run_failed' || event.type === 'run_cancelled' || event.type === 'run_started') {
        bus.fire({ type: 'run_changed', runId, status: event.type.replace('run_', ''), at: clock() });
      }
      if (event.type === 'task_started' || event.type === 'task_paused' || event.type === 'task_completed' || event.type === 'task_failed' || event.type === 'task_cancelled') {
        bus.fire({ type: 'run_changed', runId, status: event.type.replace('task_', ''), at: clock() });
      }
    },
    ...(options.onText ? { onText: options.onText } : {}),
    ...(options.onDiscard ? { onDiscard: options.onDiscard } : {}),
    onWarning: (runId, message) => warnings.fire({ runId, message }),
    maxDelegateDepth: options.maxDelegateDepth ?? 3,
  });
  const guard = new CascadeGuard({ clock });
  const orchestrator = new Orchestrator(runtimeFor(options.approver), guard);
  const watcher = options.watchConfig ? new ConfigWatcher(options.configFile) : undefined;
  const reconfigure = (next: LoadedConfig) => {
    loaded = next;
    if (gateway instanceof ResilientModelGateway) gateway.reconfigure(next.config);
  };
  watcher?.onDidReload((r) => (r.ok ? reconfigure(r.loaded) : configErrors.fire(r.error)));

  /** The `cache` fallback needs the last good answer of each (agent, prompt). */
  const rememberAnswer = (runId: string, output: string) => {
    const s = store.state(runId);
    if (loaded.config.agents[s.agent]?.fallback?.strategy !== 'cache' || s.toolCalls.some((c) => c.status !== 'ok')) return;
    answerCache.put(s.agent, s.prompt, output).catch((err: unknown) => configErrors.fire(err));
  };

  /** Transcripts are derived files: refreshed after each top-level operation, never written by the loop. */
  const refreshTranscripts = <T>(result: T): T => {
    // A task run has no transcript of its own: its steps' runs are in their agents' transcripts.
    const agents = new Set([...touched].filter((runId) => !store.isTaskRun(runId)).map((runId) => store.state(runId).agent));
    touched.clear();
    for (const agent of agents) writeTranscript(store, layout, agent);
    return result;
  };

  const decideAndContinue = async (runId: string, callId: string | undefined, signal: AbortSignal, decide: (record: Recorder, p: PendingApproval) => void): Promise<RunState> => {
    const targets = pendingIn(store, runId).filter((t) => callId === undefined || t.approval.callId === callId);
    if (targets.length === 0) {
      const s = store.state(runId);
      throw new NothingPendingError(runId, callId, s.status);
    }
    const runner = new AgentRunner(runtimeFor(options.approver));
    let last: RunState | undefined;
    // Children first: record the decisions in the run that holds each call, then continue it.
    for (const t of [...new Set(targets.map((x) => x.runId))].reverse()) {
      const mine = targets.filter((x) => x.runId === t);
      last = await runner.resume(t, signal, (record) => mine.forEach((m) => decide(record, m.approval)));
    }
    if (last && last.runId === runId) return last;
    const s = store.state(runId);
    return isTerminal(s) ? s : runner.resume(runId, signal);
  };

  const taskControl = new TaskControl(store, orchestrator.runner, orchestrator.tasks);

  /** Proposals of `proposeWrite` awaiting the user's decision, oldest first. */
  const proposals = new Map<string, PreparedCall>();
  let proposalSeq = 0;

  return {
    layout,
    events: bus.event,
    onRunEvent: runEvents.event,
    onConfigError: configErrors.event,
    onWarning: warnings.event,
    config: () => loaded.config,
    loadedConfig: () => loaded,
    ask: async (agent, prompt, o = {}) => refreshTranscripts(await orchestrator.ask({ agent, prompt, ...(o.context ? { context: o.context } : {}) }, o.signal ?? never)),
    askAll: async (prompt, o = {}) => refreshTranscripts(await orchestrator.askAll(prompt, o.signal ?? never)),
    runTask: async (task, prompt, o = {}) => refreshTranscripts(await orchestrator.runTask(task, prompt, o.signal ?? never)),
    resume: async (runId, o = {}) => {
      const taskRun = taskControl.taskRunOf(runId);
      if (taskRun !== undefined) return refreshTranscripts(await taskControl.resume(taskRun, runId, o.signal ?? never));
      return refreshTranscripts(await orchestrator.runner.resume(runId, o.signal ?? never));
    },
    approve: async (runId, callId, o = {}) => {
      const taskRun = taskControl.taskRunOf(runId);
      if (taskRun !== undefined) return refreshTranscripts(await taskControl.approve(taskRun, runId, callId, o.signal ?? never));
      return refreshTranscripts(await decideAndContinue(runId, callId, o.signal ?? never, (record, p) => record('approval_granted', { call_id: p.callId, by: 'user' })));
    },
    deny: async (runId, callId, reason, o = {}) => {
      const taskRun = taskControl.taskRunOf(runId);
      if (taskRun !== undefined) return refreshTranscripts(await taskControl.deny(taskRun, runId, callId, reason, o.signal ?? never));
      return refreshTranscripts(await decideAndContinue(runId, callId, o.signal ?? never, (record, p) => record('approval_denied', { call_id: p.callId, by: 'user', ...(reason ? { reason } : {}) })));
    },
    resumeTask: async (taskRunId, o = {}) => refreshTranscripts(await orchestrator.tasks.resume(taskRunId, o.signal ?? never)),
    taskResult: (taskRunId) => orchestrator.tasks.result(taskRunId),
    taskRunOf: (runId) => taskControl.taskRunOf(runId),
    undo: (runId) => undoRun(layout, runId),
    state: (runId) => store.state(runId),
    pendingApprovals: (runId) => taskControl.pending(runId),
    listRuns: () => store.list(),
    status: () => buildStatus({ gateway, tools, store, config: loaded.config, now: clock() }),
    health: (o = {}) => checkHealth({ gateway, config: loaded.config, signal: o.signal ?? never, clock }),
    reloadConfig: async () => {
      const next = await loadConfig(options.configFile);
      reconfigure(next);
      return next;
    },
    resetBreaker: async (scope, name) => {
      if (scope === 'tool') {
        if (tools.reset === undefined) throw new BreakerResetError(scope, name, 'this core runs with a custom tool engine that cannot reset its breakers');
        if (!tools.reset(name)) throw new BreakerResetError(scope, name, `no tool named "${name}"; see status().breakers.tools for the names`);
        return;
      }
      if (!(gateway instanceof ResilientModelGateway)) throw new BreakerResetError(scope, name, 'this core runs with a custom gateway that has no breakers');
      if (!(await gateway.registry.reset(name))) throw new BreakerResetError(scope, name, `no provider breaker named "${name}"; see status().breakers.providers for the names`);
    },
    exportCosts: () => (gateway instanceof ResilientModelGateway ? gateway.ledger.export(loaded.config.settings.budget_usd) : JSON.stringify({ requests: [], summary: {}, budget: null })),
    proposeWrite: async (file, content) => {
      const scope = { agentName: USER_WRITER, agent: agentSchema.parse({ tools: ['write'] }), config: loaded.config };
      const prepared = await tools.prepare({ id: `apply-${clock().toString(36)}-${++proposalSeq}`, name: 'write', args: { path: file, content } }, scope);
      proposals.set(prepared.callId, prepared);
      for (const old of proposals.keys()) if (proposals.size > MAX_PROPOSALS) proposals.delete(old);
      return prepared;
    },
    applyProposed: async (given, decision, o = {}) => {
      const prepared = proposals.get(given.callId);
      if (prepared === undefined) throw new UnknownProposalError(given.callId);
      proposals.delete(given.callId);
      if (decision === 'reject') return { status: 'rejected' };
      return tools.execute(prepared, { by: 'user' }, o.signal ?? never);
    },
    flush: async () => {
      if (gateway instanceof ResilientModelGateway) await gateway.flush();
      if ('flush' in tools && typeof tools.flush === 'function') await tools.flush();
      await Promise.all([audit.flush(), answerCache.flush()]);
    },
    dispose: () => {
      watcher?.dispose();
      sharedWatch?.dispose();
      void shared.state.close();
      audit.dispose();
      bus.dispose();
      runEvents.dispose();
      configErrors.dispose();
      warnings.dispose();
    },
  };
}

/** Delivers what was fired before anyone listened to the first listener (startup warnings reach the CLI). */
function replayToFirstListener<T>(emitter: Emitter<T>): Emitter<T> & { readonly event: Event<T> } {
  const early: T[] = [];
  const fire = emitter.fire.bind(emitter);
  const subscribe = emitter.event;
  return Object.assign(emitter, {
    fire: (e: T) => (emitter.hasListeners ? fire(e) : void early.push(e)),
    event: ((listener: (e: T) => void) => {
      const sub = subscribe(listener);
      for (const e of early.splice(0)) listener(e);
      return sub;
    }) as Event<T>,
  });
}

/** A breaker could not be reset: which one, and why. */
export class BreakerResetError extends Error {
  constructor(
    readonly scope: 'provider' | 'tool',
    readonly breaker: string,
    reason: string,
  ) {
    super(`cannot reset the ${scope} breaker ${breaker}: ${reason}`);
    this.name = 'BreakerResetError';
  }
}

/** `applyProposed` got a proposal the core did not make, or one already decided. */
export class UnknownProposalError extends Error {
  constructor(readonly callId: string) {
    super(`no pending proposed write ${callId}: it was already applied or rejected, or is too old; propose it again`);
    this.name = 'UnknownProposalError';
  }
}

export const isUnknownProposalError = (e: unknown): e is UnknownProposalError => e instanceof UnknownProposalError;

export const isBreakerResetError = (e: unknown): e is BreakerResetError => e instanceof BreakerResetError;
