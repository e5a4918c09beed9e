import { ConfigWatcher, createBreakwater, Emitter, isConfigError, outcomeOf, replayRunLog, type Breakwater, type BreakwaterOptions, type CoreEvent, type PreparedCall, type RunEvent, type RunState, type SensitiveValue, type UndoResult } from '../core/index';
import type { AgentView, ConfigProblem, HealthEntry, ProposedWrite, RunListItem, RunOutcome, StatusSnapshot, TaskView } from './coreViews';
import { toHealth, toSnapshot } from './statusSnapshot';

/** What the session asks of the extension beyond the core's options. */
export interface SessionHooks {
  /** The core's options for the window as it is now (trust, folders, keys); called at each (re)open. */
  readonly options: () => BreakwaterOptions;
  /**
   * Before anything is sent (a run, a health check): the workspace file's sensitive values not yet confirmed.
   * `proceed: false` stops the operation with `reason`; `confirmed > 0` reloads the config so they apply.
   */
  readonly reviewWorkspaceValues?: (pending: readonly SensitiveValue[]) => Promise<{ readonly proceed: true; readonly confirmed: number } | { readonly proceed: false; readonly reason: string }>;
}

/** An operation did not start because the user did not settle the workspace file's unconfirmed values. */
export class NotConfirmedError extends Error {
  override name = 'NotConfirmedError';
}

/** The config as the extension shows it: its agents and tasks, or the problem that keeps it from loading. */
export type ConfigState = { readonly ok: true; readonly agents: readonly AgentView[]; readonly tasks: readonly TaskView[]; readonly configFile: string } | { readonly ok: false; readonly problem: ConfigProblem };

/**
 * The extension's one object for the core: it creates the core on first use (never at activation),
 * keeps it while the window lives, re-creates it when the workspace becomes trusted, and says what
 * the user must see — config problems (from the core's config watcher, so edits made outside VS Code
 * count too), warnings, store errors — on channels of their own. Everything else is the core itself:
 * the chat and the commands call `ready()` and use the core's operations and handles directly.
 * Plain TypeScript (no vscode), so it is tested in Node over a real core.
 */
export class CoreSession {
  private core: Breakwater | undefined;
  private opening: Promise<Breakwater | undefined> | undefined;
  private problem: ConfigProblem | undefined;
  private subscriptions: { dispose(): void }[] = [];
  /** While the config keeps the core from being created: watches its files, to try again when they change. */
  private retryWatch: ConfigWatcher | undefined;
  private readonly _events = new Emitter<CoreEvent>();
  /** The core's process-wide events (breakers, costs, runs changing status), across re-creations of the core. */
  readonly events = this._events.event;
  private readonly _onConfigProblem = new Emitter<ConfigProblem | undefined>();
  /** The config stopped loading (a problem) or loads again (undefined): for the Problems panel. */
  readonly onConfigProblem = this._onConfigProblem.event;
  private readonly _onConfigReloaded = new Emitter<void>();
  /** The config was read again and loads (a save in VS Code, an edit made elsewhere, `/reload`): agents and tasks may have changed. */
  readonly onConfigReloaded = this._onConfigReloaded.event;
  private readonly _onWarning = new Emitter<{ readonly runId: string; readonly message: string }>();
  readonly onWarning = this._onWarning.event;
  private readonly _onStoreError = new Emitter<Error>();
  /** A store file could not be written (never a config problem: the chat still sends). */
  readonly onStoreError = this._onStoreError.event;
  private readonly _onDidOpen = new Emitter<void>();
  /** A core was created (first use, or again after trust was granted). */
  readonly onDidOpen = this._onDidOpen.event;

  constructor(private readonly hooks: SessionHooks) {}

  /** The core if it exists now; never creates it (for what only shows state). */
  get current(): Breakwater | undefined {
    return this.core;
  }

  /**
   * The core, created now if it was not yet; undefined when the config does not load (see `configState`).
   * After such a failure it is tried again only when the config's files change, or on `reloadConfig`.
   */
  async open(retry = false): Promise<Breakwater | undefined> {
    if (this.core) return this.core;
    if (this.opening) return this.opening;
    if (this.problem && !retry) return undefined;
    this.opening = this.create().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async create(): Promise<Breakwater | undefined> {
    const options = this.hooks.options();
    try {
      const core = await createBreakwater(options);
      this.retryWatch?.dispose();
      this.retryWatch = undefined;
      this.core = core;
      this.subscriptions = [
        core.events((e) => this._events.fire(e)),
        core.onConfigError((e) => this.setProblem(toProblem(e, options.configFile))),
        core.onConfigReloaded(() => {
          this.setProblem(undefined);
          this._onConfigReloaded.fire();
        }),
        core.onWarning((w) => this._onWarning.fire(w)),
        core.onStoreError((e) => this._onStoreError.fire(e)),
      ];
      this.setProblem(undefined);
      this._onDidOpen.fire();
      return core;
    } catch (e) {
      if (!isConfigError(e)) throw e;
      this.setProblem(toProblem(e, options.configFile));
      // The core's own watcher does not exist yet: an edit made outside VS Code must still be seen.
      if (options.watchConfig && !this.retryWatch) {
        const files = [options.configFile, ...(options.userConfigFile === undefined ? [] : [options.userConfigFile])];
        // "Reloading" is creating the core again (its failure updates the problem, its success clears it).
        this.retryWatch = new ConfigWatcher(files, {
          load: async () => {
            const created = await this.open(true);
            if (!created) throw new Error(this.problem?.message ?? 'the config does not load');
            return created.loadedConfig();
          },
        });
      }
      return undefined;
    }
  }

  private setProblem(problem: ConfigProblem | undefined): void {
    if (JSON.stringify(problem) === JSON.stringify(this.problem)) return;
    this.problem = problem;
    this._onConfigProblem.fire(problem);
  }

  /** The core to run something with: the config loads, and the user settled every unconfirmed sensitive value of the workspace file. */
  async ready(): Promise<Breakwater> {
    const core = await this.need();
    const pending = (core.loadedConfig().scopes?.sensitive ?? []).filter((v) => v.status === 'unconfirmed');
    if (pending.length === 0 || !this.hooks.reviewWorkspaceValues) return core;
    const review = await this.hooks.reviewWorkspaceValues(pending);
    if (!review.proceed) throw new NotConfirmedError(review.reason);
    if (review.confirmed > 0) await core.reloadConfig();
    return core;
  }

  /**
   * The core to read from (no review: reading sends nothing); throws the config problem when it could
   * not be created. A reload that failed leaves the core in use with its previous config.
   */
  async need(): Promise<Breakwater> {
    const core = await this.open();
    if (!core) throw new Error(this.problem?.message ?? 'Breakwater is not available');
    return core;
  }

  async configState(): Promise<ConfigState> {
    const core = await this.open();
    if (!core || this.problem) return { ok: false, problem: this.problem ?? { file: this.hooks.options().configFile, message: 'not loaded', issues: [] } };
    const config = core.config();
    const agents: AgentView[] = Object.entries(config.agents).map(([name, a]) => ({ name, provider: a.provider ?? config.settings.default_provider, model: a.model ?? config.settings.default_model, tools: a.tools }));
    const tasks = Object.entries(config.tasks).map(([name, t]) => ({ name, description: t.description, steps: t.steps }));
    return { ok: true, agents, tasks, configFile: this.hooks.options().configFile };
  }

  /** Reads the agents file again (a save in VS Code; `/reload`); a core that could not be created is tried again. */
  async reloadConfig(): Promise<void> {
    if (!this.core) {
      await this.open(true);
      return;
    }
    try {
      await this.core.reloadConfig();
      this.setProblem(undefined);
    } catch (e) {
      if (!isConfigError(e)) throw e;
      this.setProblem(toProblem(e, this.hooks.options().configFile));
    }
  }

  /** Drops the core (workspace trust was granted: it must be rebuilt trusted) and creates it again if one existed. */
  async reopen(): Promise<void> {
    const had = this.core !== undefined || this.opening !== undefined || this.problem !== undefined;
    await this.opening?.catch(() => undefined);
    this.close();
    if (had) await this.open(true);
  }

  /** Runs as the core's run index lists them, newest change first (no log is replayed). */
  async listRuns(): Promise<RunListItem[]> {
    return (await this.need())
      .listRuns()
      .map((r): RunListItem => ({ runId: r.runId, agent: r.agent, status: r.status, startedAt: r.startedAt, updatedAt: r.updatedAt, prompt: r.title, ...(r.error === undefined ? {} : { error: r.error }) }))
      .sort((a, b) => b.updatedAt - a.updatedAt);
  }

  async status(now: number = Date.now()): Promise<StatusSnapshot> {
    const core = await this.need();
    return toSnapshot(core.status(), await this.listRuns(), now);
  }

  async health(signal: AbortSignal): Promise<readonly HealthEntry[]> {
    return toHealth(await (await this.ready()).health({ signal }));
  }

  /** A run's events as its log holds them (to show a run again, or rebuild its diffs). */
  async readRun(runId: string): Promise<readonly RunEvent[]> {
    const core = await this.need();
    return replayRunLog(core.layout.runLog(runId)).events;
  }

  async proposeWrite(file: string, content: string): Promise<ProposedWrite> {
    return toProposedWrite(await (await this.need()).proposeWrite(file, content));
  }

  private close(): void {
    this.retryWatch?.dispose();
    this.retryWatch = undefined;
    for (const s of this.subscriptions) s.dispose();
    this.subscriptions = [];
    this.core?.dispose();
    this.core = undefined;
  }

  dispose(): void {
    this.close();
    this._events.dispose();
    this._onConfigProblem.dispose();
    this._onConfigReloaded.dispose();
    this._onWarning.dispose();
    this._onStoreError.dispose();
    this._onDidOpen.dispose();
  }
}

export function toProblem(e: unknown, file: string): ConfigProblem {
  if (isConfigError(e)) return { file: e.file, message: e.message.split('\n')[0] + (e.issues[0] ? ` — ${e.issues[0].path}: ${e.issues[0].message}` : ''), issues: e.issues };
  return { file, message: e instanceof Error ? e.message : String(e), issues: [] };
}

/** What Undo Run did to each file, as the core's `UndoResult` says it (a refused file is never reported as restored). */
export function undoReport(runId: string, r: UndoResult): string {
  if (r.files.length === 0) return `Run ${runId} changed no files.`;
  const lines = r.files.map((f) => (f.outcome === 'refused' ? `${f.path}: not restored — ${f.reason}` : `${f.path}: ${f.outcome}`));
  return [...lines, ...(r.complete ? [] : [`Run ${runId} was not fully undone: the files above marked "not restored" were left as they are.`])].join('\n');
}

/** The card's view of a prepared write: blocked and invalid calls are refusals, everything else asks. */
export function toProposedWrite(p: PreparedCall): ProposedWrite {
  if (p.decision.kind === 'block') return { kind: 'refused', reason: p.decision.reason };
  if (p.invalid !== undefined) return { kind: 'refused', reason: p.invalid };
  const c = p.approval?.change;
  if (c === undefined) return { kind: 'refused', reason: `the write could not be prepared for review (${p.summary})` };
  return { kind: 'ask', callId: p.callId, reason: p.decision.reason, everyTime: p.decision.kind === 'ask_every_time', path: c.path, relativePath: c.relativePath, diff: c.diff, currentContent: c.before, proposedContent: c.after };
}

/** An agent of `askAll` that threw before it had a run. */
export function failedOutcome(agent: string, error: string): RunOutcome {
  return { runId: `failed-${agent}`, agent, status: 'failed', output: '', costUsd: 0, inputTokens: 0, outputTokens: 0, pendingApprovals: [], error: { message: error } };
}

/** A run's state as the chat shows it, by the core's one mapping (`outcomeOf`); the failure kind is the typed one. */
export function toOutcome(s: RunState): RunOutcome {
  const o = outcomeOf(s);
  return {
    runId: s.runId,
    agent: s.agent,
    status: o.shown,
    output: s.output,
    costUsd: s.costUsd,
    inputTokens: s.usage.input_tokens,
    outputTokens: s.usage.output_tokens,
    pendingApprovals: s.pendingApprovals.map((p) => ({ callId: p.callId, tool: p.tool, summary: p.summary })),
    ...(o.error === undefined ? {} : { error: { message: o.error, ...(o.failureKind === undefined ? {} : { kind: o.failureKind }) } }),
  };
}
