import { Emitter, type Event } from './common/event';
import type { CoreEvent } from './common/coreEvents';
import type { Disposable } from './common/lifecycle';
import { isTerminal } from './agents/agentRunner';
import type { Recorder } from './agents/recorder';
import type { Approver } from './agents/approvals';
import { CascadeGuard } from './agents/cascadeGuard';
import { approvableWithoutCallId, NothingPendingError, pendingIn } from './agents/pendingApprovals';
import type { AgentOutcome, TaskResult } from './agents/orchestrator';
import { createFallbackRunner } from './agents/fallbackRunner';
import { operationScopes, type OperationHandle, type OperationScope, type RunHandle } from './agents/operations';
import type { FallbackRunner } from './agents/runtime';
import { ConfigWatcher } from './config/configWatcher';
import { configStatus } from './config/configStatus';
import type { LoadedConfig } from './config/loader';
import { agentSchema, PROVIDER_KINDS, type BreakwaterConfig, type ProviderKind } from './config/schema';
import { loadScopedConfig } from './config/scopedLoader';
import { NO_CONFIRMATIONS, type Confirmations } from './config/trust';
import { withKeyGrants } from './providers/keyBinding';
import { createProvider, keyGrantsOf } from './providers/providerFactory';
import type { SecretSource } from './providers/types';
import { AnswerCache } from './resilience/answerCache';
import { AuditLedger } from './resilience/auditLedger';
import type { EscalationChoice, EscalationRequest } from './resilience/fallback';
import type { ModelGateway } from './resilience/modelGateway';
import { ResilientModelGateway } from './resilience/resilientModelGateway';
import type { RunEvent } from './runs/events';
import type { RunLogWriterOptions } from './runs/runLog';
import type { PendingApproval, RunState } from './runs/runState';
import { RunStore, type ArchiveResult, type RepairResult, type RunSummary } from './runs/runStore';
import { writeTranscript } from './runs/transcript';
import { undoRun, type UndoResult } from './runs/undo';
import { openSharedState } from './cost/openSharedState';
import { StoreLayout } from './store/storeLayout';
import { CommandSandbox } from './sandbox/commandSandbox';
import { userStateDir } from './store/userStateDir';
import { createToolEngine, type BreakwaterToolEngine } from './tools/toolEngine';
import type { PreparedCall, ToolEngine, ToolHost, ToolOutcome } from './tools/types';
import { buildStatus, checkHealth, type BreakwaterStatus, type HealthReport } from './agents/statusReport';

export type { Approver, ApprovalPrompt, ApprovalAnswer } from './agents/approvals';
export type { OperationHandle, RunHandle, OperationRunEvent, OperationText, OperationDiscard } from './agents/operations';
export type { AgentOutcome, TaskResult } from './agents/orchestrator';
export { NothingPendingError, isNothingPendingError } from './agents/pendingApprovals';
export type { RunState, PendingApproval, ToolCallState, RunStatus, ToolCallStatus, Failure, FailureKind, Interruption, RunPhase } from './runs/runState';
export type { RunSummary, RunListStatus, RunDamage, RepairResult, ArchiveResult } from './runs/runStore';
export { outcomeOf, type Outcome } from './runs/outcome';
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
  /** The store folder (run logs, breakers, costs, audit); the CLI's is in the user's state dir (`defaultStoreDir`). */
  readonly storeDir: string;
  /** The workspace's agents file (workspace scope); a missing file means the built-in default config. */
  readonly configFile: string;
  /** The user's own agents file (user scope; hosts pass `userConfigPath(env)`); absent: no user scope. */
  readonly userConfigFile?: string;
  /** Which sensitive workspace values the user confirmed (user-scope record); absent: none. Unused when not `trusted`. */
  readonly confirmations?: Confirmations;
  /** The folder confirmations are recorded for; defaults to the first workspace folder. */
  readonly trustFolder?: string;
  /**
   * The config as the host already loaded it with these same scopes (the CLI checks confirmations before it builds a
   * core); loaded here when absent. Reloads always read the files again.
   */
  readonly loadedConfig?: LoadedConfig;
  readonly secrets: SecretSource;
  /** False in Restricted Mode: only read-only tools, and no sensitive value of the workspace file is used. */
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
  /** TEST HOOK (crash tests): see `RunLogWriterOptions.onDurable`. */
  readonly onDurable?: RunLogWriterOptions['onDurable'];
  /** TEST HOOK (lock races): see `RunLogWriterOptions.onLockStep`. */
  readonly onLockStep?: RunLogWriterOptions['onLockStep'];
  /** How deep `delegate` may nest; defaults to 3. */
  readonly maxDelegateDepth?: number;
  /**
   * The bwrap binary for the OS sandbox (a path or a name on PATH); `BREAKWATER_BWRAP` from `env`, else
   * `bwrap`. A missing one makes the sandbox unavailable (tests point it at a missing file).
   */
  readonly bwrapPath?: string;
}

/** Everything both hosts (the VS Code extension and the CLI) call. */
export interface Breakwater extends Disposable {
  readonly layout: StoreLayout;
  /**
   * What the whole process does outside one operation (breakers, costs, runs changing status): for the
   * status tree and the status bar. An operation's own runs, text and progress are on its handle.
   */
  readonly events: Event<CoreEvent>;
  /** Config errors of a reload of the watched files (the previous config stays in use). */
  readonly onConfigError: Event<unknown>;
  /** The config was reloaded and is valid (the watcher saw the files change, or `reloadConfig`): earlier config errors are gone. */
  readonly onConfigReloaded: Event<LoadedConfig>;
  /**
   * A store file could not be written outside a run's log (a failed answer-cache save): the run's
   * own record is intact and the config is not at fault; the user should know the store's problem.
   */
  readonly onStoreError: Event<Error>;
  /**
   * Things to tell the user that are not run events (a torn log line repaired on resume; damaged state
   * files, with `runId` ''). Warnings raised while the core was being created reach the first listener.
   */
  readonly onWarning: Event<{ readonly runId: string; readonly message: string }>;
  config(): BreakwaterConfig;
  /** The effective config with its scopes: which file each value came from, and the workspace's sensitive values. */
  loadedConfig(): LoadedConfig;
  /** For each provider an agent uses: its endpoint and where its key comes from (never the key). */
  keySources(): Promise<KeySourceReport[]>;
  /**
   * Starts a run of `agent`. Like every operation below, it returns a handle whose streams carry this
   * operation's runs only (its delegates' runs included); awaiting the handle awaits its result.
   */
  ask(agent: string, prompt: string, options?: { signal?: AbortSignal; context?: string }): RunHandle<RunState>;
  /** Every agent on the same prompt at once; the handle streams all of their runs. */
  askAll(prompt: string, options?: { signal?: AbortSignal }): OperationHandle<Map<string, AgentOutcome>>;
  /** Runs a configured task as a durable task run of its own (`TaskResult.taskRunId`); a step that waits on a human pauses it. The handle streams the task run and its steps' runs. */
  runTask(task: string, prompt?: string, options?: { signal?: AbortSignal }): RunHandle<TaskResult>;
  /**
   * Continues a run from where its log ends; pending approvals are asked again (or the run stays paused).
   * A task's step run, or a task run itself, continues the whole task (see `resumeTask`); the state
   * returned is that step's (for a task run id: the last step that has a run).
   */
  resume(runId: string, options?: { signal?: AbortSignal }): RunHandle<RunState>;
  /**
   * Approves the run's pending call (or all of them) as the user, then continues the run. For a task's
   * step run, or the task run itself (its paused step's calls), the rest of the task continues too.
   * Without `callId` an ask-every-time call is never approved: it stays pending (an `onWarning` says
   * how to approve it by its id) and the run keeps waiting on it.
   */
  approve(runId: string, callId?: string, options?: { signal?: AbortSignal }): RunHandle<RunState>;
  /**
   * Denies the run's pending call (or all), then continues the run (the model is told). In a task, a
   * denial fails the step instead (its other waiting calls are skipped) and the task goes on: later
   * steps get CascadeGuard's "unavailable" marker.
   */
  deny(runId: string, callId?: string, reason?: string, options?: { signal?: AbortSignal }): RunHandle<RunState>;
  /** Continues a task run from its first unfinished step (after a pause or a crash); a finished step never runs again. */
  resumeTask(taskRunId: string, options?: { signal?: AbortSignal }): RunHandle<TaskResult>;
  /** A task run as its logs say now (nothing is driven). Throws `WrongRunKindError` for an agent run's id. */
  taskResult(taskRunId: string): TaskResult;
  /** The task run `runId` belongs to: itself for a task run, its task's for a step run (or a delegate under one), else undefined. */
  taskRunOf(runId: string): string | undefined;
  undo(runId: string): UndoResult;
  /** A run's state; `interrupted` when its log says running but no process drives it any more. */
  state(runId: string): RunState;
  /** Pending approvals of a run and of the delegate runs it waits on; for a task run, those of its paused step. */
  pendingApprovals(runId: string): { runId: string; approval: PendingApproval }[];
  /** Runs from the run index (no log is replayed), newest first; `limit` keeps the first N. A damaged log is listed with its error. */
  listRuns(options?: { readonly limit?: number }): RunSummary[];
  /** One run from the run index, or undefined when the store has no such log. */
  runSummary(runId: string): RunSummary | undefined;
  /** Cuts a damaged log before its bad line (saving the rest aside) so the run can be resumed from its last good event. */
  repairRun(runId: string): RepairResult;
  /** Moves a run's log out of the store's listings, to `<store>/archive/`. */
  archiveRun(runId: string): ArchiveResult;
  /** Breakers, costs and runs: the runs that need attention and the most recent ones, with counts (see `statusRuns`). */
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
  /** The cost ledger as exported JSON: every request, a summary and the budget. */
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

/** One provider's endpoint and key as `--status` and the chat show them. */
export interface KeySourceReport {
  readonly provider: ProviderKind;
  readonly endpoint: string;
  /** Where the key sent to `endpoint` comes from (`SecretStorage`, `the environment (ANTHROPIC_API_KEY)`); null: none. */
  readonly source: string | null;
  /** Why no key is sent although one exists (it was given for another origin). */
  readonly problem?: string;
}

/** The core composition root. */
export async function createBreakwater(options: BreakwaterOptions): Promise<Breakwater> {
  const clock = options.clock ?? Date.now;
  const layout = new StoreLayout(options.storeDir);
  const bus = new Emitter<CoreEvent>();
  const configErrors = new Emitter<unknown>();
  const configReloads = new Emitter<LoadedConfig>();
  const storeErrors = new Emitter<Error>();
  const warnings = replayToFirstListener(new Emitter<{ runId: string; message: string }>());
  const warn = (message: string) => warnings.fire({ runId: '', message });
  const env = options.env ?? process.env;
  const load = () =>
    loadScopedConfig({
      ...(options.userConfigFile === undefined ? {} : { userFile: options.userConfigFile }),
      workspaceFile: options.configFile,
      folder: options.trustFolder ?? options.workspaceFolders[0] ?? options.storeDir,
      trust: options.trusted ? { kind: 'trusted', confirmations: options.confirmations ?? NO_CONFIRMATIONS } : { kind: 'restricted' },
      env,
    });
  let loaded = options.loadedConfig ?? (await load());
  // A key goes only to the origin it was given for, or to an endpoint the user chose: in their own file, or confirmed for this folder.
  const secrets = withKeyGrants(options.secrets, () => keyGrantsOf(loaded.scopes, loaded.config));
  // One shared state per core: the providers' limiters, breakers and budgets and the tools' breakers.
  const shared = await openSharedState({ config: loaded.config.state, layout, env, clock });
  shared.warnings.forEach(warn);
  shared.state.onWarning(warn);
  const storeError = (err: Error) => warn(err.message);
  // A long-lived host (VS Code) shows what other processes (CLI runs, other windows, other machines) do.
  const sharedWatch = options.watchConfig ? shared.state.watch(() => bus.fire({ type: 'shared_state_changed', at: clock() })) : undefined;
  const gateway = options.gateway ?? (await ResilientModelGateway.open({ config: loaded.config, secrets, events: bus, store: layout, env, clock, state: shared.state, onStoreError: storeError }));
  const host: ToolHost = { workspaceFolders: options.workspaceFolders, trusted: options.trusted, ripgrepPath: options.ripgrepPath, storeRoot: layout.root };
  // Every process a tool starts goes through this launcher; the store is hidden from what it starts.
  const sandbox = new CommandSandbox({
    bwrap: options.bwrapPath ?? env.BREAKWATER_BWRAP ?? 'bwrap',
    ...(env.BREAKWATER_SOCAT !== undefined ? { socat: env.BREAKWATER_SOCAT } : {}),
    env,
    stateDir: userStateDir(env),
    hidden: [layout.root],
  });
  // Probed once per process; awaited here so `status()` (synchronous) can say whether commands are sandboxed.
  await sandbox.availability();
  const tools: ToolEngine | BreakwaterToolEngine = options.toolEngine ?? createToolEngine({ host, events: bus, clock, state: shared.state, sandbox });
  const audit = new AuditLedger(layout.auditLedger, bus.event, storeError);
  const opened = await AnswerCache.open({ file: layout.answerCache, clock });
  if (opened.error) warn(opened.error.message);
  const answerCache = opened.cache;
  const store = new RunStore(layout, {
    clock,
    ...(options.onDurable ? { onDurable: options.onDurable } : {}),
    ...(options.onLockStep ? { onLockStep: options.onLockStep } : {}),
    onIndexError: (e) => warnings.fire({ runId: '', message: e.message }),
  });
  /** What every operation's runs tell the whole process: the status tree follows runs changing status. */
  const announce = (runId: string, event: RunEvent) => {
    if (event.type === 'run_paused' || event.type === 'run_completed' || event.type === 'run_failed' || event.type === 'run_cancelled' || event.type === 'run_started') {
      bus.fire({ type: 'run_changed', runId, status: event.type.replace('run_', ''), at: clock() });
    }
    if (event.type === 'task_started' || event.type === 'task_paused' || event.type === 'task_completed' || event.type === 'task_failed' || event.type === 'task_cancelled' || event.type === 'task_interrupted') {
      bus.fire({ type: 'run_changed', runId, status: event.type.replace('task_', ''), at: clock() });
    }
  };
  const operations = operationScopes({
    runtime: {
      config: () => loaded.config,
      configHash: () => loaded.hash,
      gateway,
      tools,
      store,
      facts: { workspaceFolders: options.workspaceFolders, trusted: options.trusted, platform: process.platform },
      ...(options.approver ? { approver: options.approver } : {}),
      onWarning: (runId, message) => warnings.fire({ runId, message }),
      maxDelegateDepth: options.maxDelegateDepth ?? 3,
    },
    fallbackFor: (runAgent) =>
      options.fallback ?? createFallbackRunner({ config: () => loaded.config, gateway, cache: answerCache, events: bus, clock, runAgent, ...(options.escalate ? { askUser: options.escalate } : {}) }),
    guard: new CascadeGuard({ clock }),
    onAnyRunEvent: announce,
    // Transcripts are derived files: refreshed after each top-level operation, never written by the loop.
    afterOperation: (touched, completed) => {
      // After the operation, when the index has each run's final row (no log is read to learn its agent).
      for (const [runId, output] of completed) rememberAnswer(runId, output);
      // A task run has no transcript of its own: its steps' runs are in their agents' transcripts.
      const agents = new Set([...touched].map((runId) => store.summary(runId)).flatMap((s) => (s && s.kind === 'run' ? [s.agent] : [])));
      for (const agent of agents) writeTranscript(store, layout, agent);
    },
  });
  const reader = operations.reader;
  const operation = operations.start.bind(operations);
  const watcher = options.watchConfig ? new ConfigWatcher([options.configFile, ...(options.userConfigFile === undefined ? [] : [options.userConfigFile])], { load }) : undefined;
  const reconfigure = (next: LoadedConfig) => {
    loaded = next;
    if (gateway instanceof ResilientModelGateway) gateway.reconfigure(next.config);
    configReloads.fire(next);
  };
  watcher?.onDidReload((r) => (r.ok ? reconfigure(r.loaded) : configErrors.fire(r.error)));

  /** The `cache` fallback needs the last good answer of each (agent, prompt). */
  const rememberAnswer = (runId: string, output: string) => {
    // The index says whose run it is; the log is read only for an agent with a cache fallback.
    const agent = store.summary(runId)?.agent;
    if (agent === undefined || loaded.config.agents[agent]?.fallback?.strategy !== 'cache') return;
    const s = store.state(runId);
    if (s.toolCalls.some((c) => c.status !== 'ok')) return;
    answerCache.put(s.agent, s.prompt, output).catch((err: unknown) => storeErrors.fire(err instanceof Error ? err : new Error(String(err))));
  };

  const decideAndContinue = async (scope: OperationScope, runId: string, callId: string | undefined, signal: AbortSignal, decide: (record: Recorder, p: PendingApproval) => void, approving = false): Promise<RunState> => {
    let targets = pendingIn(store, runId).filter((t) => callId === undefined || t.approval.callId === callId);
    if (targets.length === 0) {
      const s = store.state(runId);
      throw new NothingPendingError(runId, callId, s.status);
    }
    if (approving && callId === undefined) {
      const { approve, note } = approvableWithoutCallId(runId, targets);
      if (note !== undefined) warnings.fire({ runId, message: note });
      if (approve.length === 0) return store.state(runId);
      targets = approve;
    }
    const runner = scope.orchestrator.runner;
    let last: RunState | undefined;
    // Children first: record the decisions in the run that holds each call, then continue it. Each
    // target is checked again on the state read under that run's lock: a call another process
    // finished (or decided) meanwhile is left alone.
    for (const t of [...new Set(targets.map((x) => x.runId))].reverse()) {
      const mine = targets.filter((x) => x.runId === t);
      last = await runner.resume(t, signal, (record, state) => mine.filter((m) => state.pendingApprovals.some((p) => p.callId === m.approval.callId)).forEach((m) => decide(record, m.approval)));
    }
    if (last && last.runId === runId) return last;
    const s = store.state(runId);
    return isTerminal(s) ? s : runner.resume(runId, signal);
  };

  /** Proposals of `proposeWrite` awaiting the user's decision, oldest first. */
  const proposals = new Map<string, PreparedCall>();
  let proposalSeq = 0;

  return {
    layout,
    events: bus.event,
    onConfigError: configErrors.event,
    onConfigReloaded: configReloads.event,
    onStoreError: storeErrors.event,
    onWarning: warnings.event,
    config: () => loaded.config,
    loadedConfig: () => loaded,
    keySources: async () => {
      const kinds = [...new Set(Object.values(loaded.config.agents).map((a) => a.provider ?? loaded.config.settings.default_provider))].sort((a, b) => PROVIDER_KINDS.indexOf(a) - PROVIDER_KINDS.indexOf(b));
      return Promise.all(kinds.map((kind) => keySourceOf(kind, loaded.config, secrets, env)));
    },
    ask: (agent, prompt, o = {}) => operation(o, undefined, (scope, signal) => scope.orchestrator.ask({ agent, prompt, ...(o.context ? { context: o.context } : {}) }, signal)),
    askAll: (prompt, o = {}) => operation(o, undefined, (scope, signal) => scope.orchestrator.askAll(prompt, signal)),
    runTask: (task, prompt, o = {}) => operation(o, undefined, (scope, signal) => scope.orchestrator.runTask(task, prompt, signal)),
    resume: (runId, o = {}) =>
      operation(o, runId, (scope, signal) => {
        const taskRun = scope.taskControl.taskRunOf(runId);
        if (taskRun !== undefined) return scope.taskControl.resume(taskRun, runId, signal);
        return scope.orchestrator.runner.resume(runId, signal);
      }),
    approve: (runId, callId, o = {}) =>
      operation(o, runId, (scope, signal) => {
        const taskRun = scope.taskControl.taskRunOf(runId);
        if (taskRun !== undefined) return scope.taskControl.approve(taskRun, runId, callId, signal);
        return decideAndContinue(scope, runId, callId, signal, (record, p) => record('approval_granted', { call_id: p.callId, by: 'user' }), true);
      }),
    deny: (runId, callId, reason, o = {}) =>
      operation(o, runId, (scope, signal) => {
        const taskRun = scope.taskControl.taskRunOf(runId);
        if (taskRun !== undefined) return scope.taskControl.deny(taskRun, runId, callId, reason, signal);
        return decideAndContinue(scope, runId, callId, signal, (record, p) => record('approval_denied', { call_id: p.callId, by: 'user', ...(reason ? { reason } : {}) }));
      }),
    resumeTask: (taskRunId, o = {}) => operation(o, taskRunId, (scope, signal) => scope.orchestrator.tasks.resume(taskRunId, signal)),
    taskResult: (taskRunId) => reader.orchestrator.tasks.result(taskRunId),
    taskRunOf: (runId) => reader.taskControl.taskRunOf(runId),
    undo: (runId) => undoRun(layout, runId),
    state: (runId) => store.state(runId),
    pendingApprovals: (runId) => reader.taskControl.pending(runId),
    listRuns: (o = {}) => (o.limit === undefined ? store.list() : store.list().slice(0, Math.max(0, o.limit))),
    runSummary: (runId) => (store.isValidRunId(runId) ? store.summary(runId) : undefined),
    repairRun: (runId) => store.repair(runId),
    archiveRun: (runId) => store.archive(runId),
    status: () => ({ ...buildStatus({ gateway, tools, store, config: loaded.config, now: clock() }), config: configStatus(loaded) }),
    health: (o = {}) => checkHealth({ gateway, config: loaded.config, signal: o.signal ?? never, clock }),
    reloadConfig: async () => {
      const next = await load();
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
      await tools.flush?.();
      await Promise.all([audit.flush(), answerCache.flush()]);
      store.index.flush();
    },
    dispose: () => {
      // Window closed or CLI done: no command an agent started outlives the core.
      sandbox.dispose();
      store.index.dispose();
      watcher?.dispose();
      sharedWatch?.dispose();
      void shared.state.close();
      audit.dispose();
      bus.dispose();
      configErrors.dispose();
      configReloads.dispose();
      storeErrors.dispose();
      warnings.dispose();
    },
  };
}

async function keySourceOf(kind: ProviderKind, config: BreakwaterConfig, secrets: SecretSource, env: Readonly<Record<string, string | undefined>>): Promise<KeySourceReport> {
  const baseUrl = kind === 'ollama' ? config.providers.ollama?.host : config.providers[kind]?.base_url;
  let endpoint: string;
  let origin: string;
  try {
    const provider = createProvider(kind, { baseUrl, env });
    endpoint = provider.endpoint;
    origin = new URL(endpoint).origin;
  } catch (e) {
    return { provider: kind, endpoint: baseUrl ?? '', source: null, problem: (e as Error).message };
  }
  const lookup = await secrets.getApiKey(kind, origin).catch((e: unknown) => ({ kind: 'error' as const, message: e instanceof Error ? e.message : String(e) }));
  if (lookup.kind === 'bound') return { provider: kind, endpoint, source: lookup.key.source };
  if (lookup.kind === 'elsewhere') return { provider: kind, endpoint, source: null, problem: `the ${kind} key from ${lookup.keys.map((k) => `${k.source} is for ${k.origin}`).join(', ')}, not ${origin}; it is not sent. ${lookup.howToAllow}` };
  if (lookup.kind === 'error') return { provider: kind, endpoint, source: null, problem: `could not read the key: ${lookup.message}` };
  return { provider: kind, endpoint, source: null };
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
    }),
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
