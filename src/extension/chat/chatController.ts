import * as vscode from 'vscode';
import type { ApprovalAnswer, ApprovalPrompt, Breakwater, FailureKind, RunHandle, RunState } from '../../core/index';
import { parseWebviewMessage, type ErrorAction, type HostMessage, type WebviewMessage, type WebviewMessageOf } from '../../protocol/messages';
import type { RunOutcome } from '../coreViews';
import { failedOutcome, toOutcome, type ConfigState, type CoreSession } from '../coreSession';
import type { DiffContentProvider } from '../diffContentProvider';
import { formatCosts, formatHealth, formatStatus } from '../statusReport';
import { RunEventMapper } from './runEventMapper';
import { SessionLog } from './sessionLog';
import { parseSlashCommand, SLASH_HELP } from './slashCommands';
import { CodeApplier } from './codeApplier';
import { toApprovalView } from './runEventMapper';

/** What the chat needs from the rest of the extension. */
export interface ChatControllerDeps {
  readonly session: CoreSession;
  readonly log: vscode.LogOutputChannel;
  readonly diffs: DiffContentProvider;
  readonly trusted: () => boolean;
  readonly disabledTools: () => { tool: string; reason: string }[];
  readonly now: () => number;
}

/** How long streamed text is gathered before one `textDelta` goes to the webview, in milliseconds. */
export const TEXT_BATCH_MS = 25;

/**
 * The host side of the chat view: validates what the webview sends, runs agents through the core,
 * and streams what happens back as protocol messages. Runs pause for approval (the run log says
 * `waiting_on_human`); Approve/Reject continue them, now or after a window reload.
 */
export class ChatController implements vscode.Disposable {
  private webview: vscode.Webview | undefined;
  private readonly session = new SessionLog();
  private readonly mappers = new Map<string, RunEventMapper>();
  private readonly applier: CodeApplier;
  private active: { runId: string | null; abort: AbortController } | null = null;
  private lastAsk: { agent: string; prompt: string } | null = null;
  /** Provider and model per agent, from the last config the chat was told about. */
  private agents = new Map<string, { provider: string; model: string }>();
  private readonly agentTarget = (agent: string) => this.agents.get(agent);
  /** Approvals a live run is waiting for: the card's buttons answer them directly. */
  private readonly waiting = new Map<string, (answer: ApprovalAnswer) => void>();
  /** Key sources the chat already named in this window. */
  private readonly toldKeys = new Set<string>();
  /** Streamed text not yet posted, per run (posted every TEXT_BATCH_MS, and before any other message). */
  private pendingText = new Map<string, string>();
  private textTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly _onDidPost = new vscode.EventEmitter<HostMessage>();
  /** Every message sent to the webview (for tests: they assert on the protocol). */
  readonly onDidPost = this._onDidPost.event;

  constructor(private readonly deps: ChatControllerDeps) {
    this.applier = new CodeApplier(deps.session, deps.diffs, (m) => this.post(m));
  }

  /** Posts go to `webview` until the returned disposable is disposed; its messages come in through `receive`. */
  attach(webview: vscode.Webview): vscode.Disposable {
    this.webview = webview;
    return new vscode.Disposable(() => {
      if (this.webview === webview) this.webview = undefined;
    });
  }

  /** Entry point for messages from the webview (and for tests, which drive the chat like a user). */
  async receive(raw: unknown): Promise<void> {
    const parsed = parseWebviewMessage(raw);
    if (!parsed.ok) {
      this.deps.log.warn(`chat: dropped a message from the webview: ${parsed.error}`);
      return;
    }
    try {
      await this.handle(parsed.message);
    } catch (e) {
      this.deps.log.error(`chat: ${parsed.message.type} failed`, e instanceof Error ? e : String(e));
      this.post({ type: 'notice', level: 'error', markdown: `**${parsed.message.type} failed:** ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  /** Sends a prompt as if typed (Ask Agent commands use this to show the answer in the chat). */
  async ask(agent: string, prompt: string): Promise<RunOutcome | undefined> {
    this.post({ type: 'userPrompt', text: prompt, agent });
    return this.runWith((core, signal) => core.ask(agent, prompt, { signal }), { agent, prompt });
  }

  private async handle(message: WebviewMessage): Promise<void> {
    switch (message.type) {
      case 'ready':
        return this.onReady();
      case 'send':
        return this.onSend(message);
      case 'stop':
        this.active?.abort.abort(new Error('Stopped by the user'));
        return;
      case 'newChat':
        this.active?.abort.abort(new Error('New chat'));
        this.post({ type: 'clear' });
        return;
      case 'approve':
        if (this.applier.owns(message.callId)) return this.applier.decide(message.callId, true);
        if (this.answer(message.runId, message.callId, { kind: 'grant', by: 'user', always: message.always })) return;
        this.post({ type: 'approvalResolved', runId: message.runId, callId: message.callId, approved: true });
        await this.runWith((core, signal) => core.approve(message.runId, message.callId, { signal }), null, message.runId);
        return;
      case 'approveAll':
        await this.runWith((core, signal) => core.approve(message.runId, undefined, { signal }), null, message.runId);
        return;
      case 'reject':
        if (this.applier.owns(message.callId)) return this.applier.decide(message.callId, false);
        if (this.answer(message.runId, message.callId, { kind: 'deny', reason: message.reason })) return;
        this.post({ type: 'approvalResolved', runId: message.runId, callId: message.callId, approved: false });
        await this.runWith((core, signal) => core.deny(message.runId, message.callId, message.reason, { signal }), null, message.runId);
        return;
      case 'viewDiff':
        return this.viewDiff(message.runId, message.callId);
      case 'copyCode':
        await vscode.env.clipboard.writeText(message.code);
        return;
      case 'insertCode':
        return this.applier.insertAtCursor(message.code);
      case 'applyCode':
        return this.applier.propose(message.code);
      case 'openRun':
        return this.openRun(message.runId);
      case 'resumeRun':
        await this.openRun(message.runId);
        await this.runWith((core, signal) => core.resume(message.runId, { signal }), null, message.runId);
        return;
      case 'errorAction':
        return this.onErrorAction(message.action, message.runId);
      case 'listRuns':
        return this.sendRuns();
    }
  }

  /**
   * The core's approver while a run is live: shows the card and waits for the user's answer. If
   * the run is stopped first, the call is deferred (the run pauses and can be approved later).
   */
  requestApproval(prompt: ApprovalPrompt, signal: AbortSignal): Promise<ApprovalAnswer> {
    const key = `${prompt.runId}\u0000${prompt.callId}`;
    const request = prompt.request;
    const change = request?.change;
    if (change !== undefined) this.mapperFor(prompt.runId).remember(prompt.callId, { path: change.path, currentContent: change.before, proposedContent: change.after });
    this.post({
      type: 'approvalRequest',
      runId: prompt.runId,
      callId: prompt.callId,
      summary: prompt.summary,
      reason: prompt.mayHaveRun ? `${prompt.reason} (it may already have run before an interruption)` : prompt.reason,
      canAlwaysAllow: prompt.kind === 'ask',
      approval: toApprovalView(request, prompt.tool, undefined),
    });
    return new Promise<ApprovalAnswer>((resolve) => {
      const finish = (answer: ApprovalAnswer) => {
        this.waiting.delete(key);
        signal.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      const onAbort = () => finish({ kind: 'defer' });
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(key, finish);
    });
  }

  /** True when a live run was waiting for this answer. */
  private answer(runId: string, callId: string, answer: ApprovalAnswer): boolean {
    const finish = this.waiting.get(`${runId}\u0000${callId}`);
    if (!finish) return false;
    this.post({ type: 'approvalResolved', runId, callId, approved: answer.kind === 'grant' });
    finish(answer);
    return true;
  }

  /** Says, once per window and key, where the key for the agent's provider comes from (SecretStorage or the environment). */
  private async tellKeySource(agent: string): Promise<void> {
    const provider = this.agents.get(agent)?.provider;
    if (provider === undefined) return;
    const core = this.deps.session.current;
    if (!core) return;
    const k = (await core.keySources().catch(() => [])).find((s) => s.provider === provider);
    if (k === undefined || (k.source === null && k.problem === undefined)) return;
    const said = `${k.provider}\u0000${k.endpoint}\u0000${k.source ?? ''}\u0000${k.problem ?? ''}`;
    if (this.toldKeys.has(said)) return;
    this.toldKeys.add(said);
    if (k.source !== null) this.post({ type: 'notice', level: 'info', markdown: `Using your ${k.provider} key from ${k.source}; it is sent only to ${k.endpoint}.` });
    else this.post({ type: 'notice', level: 'warning', markdown: `No ${k.provider} key is sent to ${k.endpoint}: ${k.problem}` });
  }

  private async onReady(): Promise<void> {
    await this.sendInit();
    if (!this.session.isEmpty) {
      // The view was hidden and rebuilt: replay this session so it shows exactly what it did.
      this.postRaw({ type: 'clear' });
      for (const m of this.session.snapshot()) this.postRaw(m);
    }
    this.post({ type: 'busy', runId: this.active?.runId ?? null });
    await this.sendRuns();
  }

  async sendInit(): Promise<void> {
    const state = await this.deps.session.configState();
    this.rememberAgents(state);
    this.post({
      type: 'init',
      agents: state.ok ? state.agents.map((a) => ({ name: a.name, provider: a.provider, model: a.model, tools: [...a.tools] })) : [],
      defaultAgent: state.ok ? (state.agents[0]?.name ?? null) : null,
      trusted: this.deps.trusted(),
      disabledTools: this.deps.disabledTools(),
      configError: state.ok ? null : state.problem.message,
    });
  }

  private rememberAgents(state: ConfigState): void {
    this.agents = new Map(state.ok ? state.agents.map((a) => [a.name, { provider: a.provider, model: a.model }]) : []);
  }

  private async sendRuns(): Promise<void> {
    if (!(await this.deps.session.configState()).ok) return;
    const runs = await this.deps.session.listRuns();
    // A damaged log stays in the history (never vanishes): shown as failed, its title says why; Resume Run offers the way out.
    this.post({
      type: 'runs',
      runs: runs.slice(0, 50).map((r) => ({ runId: r.runId, agent: r.agent, status: r.status === 'damaged' ? 'failed' : r.status, title: (r.status === 'damaged' ? `Damaged log: ${r.error ?? ''}` : r.prompt).slice(0, 120), updatedAt: r.updatedAt })),
    });
  }

  private async onSend(message: WebviewMessageOf<'send'>): Promise<void> {
    const slash = parseSlashCommand(message.text);
    if (slash) return this.onSlash(slash);
    const state = await this.deps.session.configState();
    this.rememberAgents(state);
    if (!state.ok) {
      this.post({ type: 'notice', level: 'error', markdown: `**agents.yaml has problems.** ${state.problem.message}` });
      return;
    }
    const agent = message.agent ?? state.agents[0]?.name;
    if (agent === undefined) {
      this.post({ type: 'notice', level: 'warning', markdown: 'No agents are configured yet. Run **Breakwater: Open Agents Config** to create `.breakwater/agents.yaml`.' });
      return;
    }
    await this.ask(agent, message.text);
  }

  private async onSlash(command: NonNullable<ReturnType<typeof parseSlashCommand>>): Promise<void> {
    const session = this.deps.session;
    const notice = (markdown: string, level: 'info' | 'warning' | 'error' = 'info') => this.post({ type: 'notice', level, markdown });
    switch (command.kind) {
      case 'all': {
        if (command.prompt === '') return notice('Usage: `/all <prompt>`', 'warning');
        this.post({ type: 'userPrompt', text: command.prompt, agent: 'all' });
        const abort = new AbortController();
        this.active = { runId: null, abort };
        try {
          const results = await (await session.ready()).askAll(command.prompt, { signal: abort.signal });
          for (const [agent, r] of results) {
            const o = r.kind === 'run' ? toOutcome(r.state) : failedOutcome(agent, r.error);
            notice(`#### @${o.agent} — ${o.status}\n\n${o.error ? `**${o.error.message}**` : o.output}`, o.status === 'completed' ? 'info' : 'warning');
          }
        } finally {
          this.active = null;
        }
        return;
      }
      case 'costs':
        return notice(formatCosts((await session.status()).costs));
      case 'status':
        return notice(formatStatus(await session.status(), this.deps.now()));
      case 'health':
        return notice(formatHealth(await session.health(AbortSignal.timeout(60_000))));
      case 'logs': {
        const runs = (await session.listRuns()).filter((r) => command.agent === null || r.agent === command.agent);
        if (runs.length === 0) return notice(command.agent ? `No runs of @${command.agent} yet.` : 'No runs yet.');
        return notice(['| run | agent | status | prompt |', '| --- | --- | --- | --- |', ...runs.slice(0, 20).map((r) => `| ${r.runId} | ${r.agent} | ${r.status} | ${r.prompt.slice(0, 60).replace(/[|\n]/g, ' ')} |`)].join('\n'));
      }
      case 'reload':
        await session.reloadConfig();
        await this.sendInit();
        return notice('Reloaded agents.yaml.');
      case 'help':
        return notice(SLASH_HELP);
      case 'unknown':
        return notice(`Unknown command \`/${command.name}\`.\n\n${SLASH_HELP}`, 'warning');
    }
  }

  /**
   * Runs one core operation with streaming into the chat, a Stop button, and an error card on
   * failure. The operation's handle streams its own runs only (a task started elsewhere, or another
   * question, never lands here).
   */
  private async runWith(start: (core: Breakwater, signal: AbortSignal) => RunHandle<RunState>, retry: { agent: string; prompt: string } | null, knownRunId?: string): Promise<RunOutcome | undefined> {
    if (retry) this.lastAsk = retry;
    const abort = new AbortController();
    this.active = { runId: knownRunId ?? null, abort };
    if (knownRunId) this.post({ type: 'busy', runId: knownRunId });
    try {
      const handle = start(await this.deps.session.ready(), abort.signal);
      handle.onEvent(({ runId, event }) => {
        // Once the run has started (after any confirmation), say where its provider's key comes from.
        if (event.type === 'run_started') void this.tellKeySource(event.payload.agent).catch(() => undefined);
        if (this.active?.abort === abort && this.active.runId === null) {
          this.active.runId = runId;
          this.post({ type: 'busy', runId });
        }
        for (const m of this.mapperFor(runId).map(event, false)) this.post(m);
      });
      handle.onText(({ runId, delta }) => this.postText(runId, delta));
      handle.onDiscard(({ runId, reason }) => this.post({ type: 'textDiscard', runId, reason }));
      const outcome = toOutcome(await handle);
      const status = await this.deps.session.status().catch(() => undefined);
      const usage = { inputTokens: outcome.inputTokens, outputTokens: outcome.outputTokens, costUsd: outcome.costUsd, spentUsd: status?.costs.totalUsd ?? outcome.costUsd, budgetUsd: status?.costs.budgetUsd ?? null };
      this.post({
        type: 'runFinished',
        runId: outcome.runId,
        status: outcome.status,
        usage,
        ...(outcome.error ? { error: { message: outcome.error.message, ...(outcome.error.cause ? { cause: outcome.error.cause } : {}), actions: [...(outcome.status === 'interrupted' ? (['resume'] as const) : []), ...actionsFor(outcome.error.kind)] } } : {}),
      });
      return outcome;
    } catch (e) {
      const runId = this.active?.runId ?? knownRunId ?? 'unknown';
      this.deps.log.error(`chat: run failed`, e instanceof Error ? e : String(e));
      const cause = e instanceof Error && e.cause !== undefined ? (e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : typeof e.cause === 'string' ? e.cause : JSON.stringify(e.cause)) : undefined;
      this.post({ type: 'runFinished', runId, status: abort.signal.aborted ? 'cancelled' : 'failed', error: { message: e instanceof Error ? e.message : String(e), ...(cause ? { cause } : {}), actions: actionsFor(undefined) } });
      return undefined;
    } finally {
      if (this.active?.abort === abort) this.active = null;
      this.post({ type: 'busy', runId: null });
      void this.sendRuns().catch(() => undefined);
    }
  }

  private mapperFor(runId: string): RunEventMapper {
    let mapper = this.mappers.get(runId);
    if (!mapper) {
      mapper = new RunEventMapper(runId, this.agentTarget);
      this.mappers.set(runId, mapper);
    }
    return mapper;
  }

  private async openRun(runId: string): Promise<void> {
    const events = await this.deps.session.readRun(runId);
    const mapper = new RunEventMapper(runId, this.agentTarget);
    this.mappers.set(runId, mapper);
    this.post({ type: 'clear' });
    for (const event of events) for (const m of mapper.map(event, true)) this.post(m);
  }

  private async viewDiff(runId: string, callId: string): Promise<void> {
    if (this.applier.owns(callId)) return this.applier.showDiff(callId);
    let content = this.mappers.get(runId)?.contentFor(callId);
    if (!content) {
      // Reopened after a reload: rebuild the mapper from the log.
      const mapper = new RunEventMapper(runId, this.agentTarget);
      for (const event of await this.deps.session.readRun(runId)) mapper.map(event, true);
      this.mappers.set(runId, mapper);
      content = mapper.contentFor(callId);
    }
    if (!content) {
      this.post({ type: 'notice', level: 'warning', markdown: 'No diff is available for this call.' });
      return;
    }
    await this.deps.diffs.showDiff(content.path, content.currentContent, content.proposedContent, vscode.l10n.t('{0} (current ↔ proposed)', content.path.split(/[\\/]/).pop() ?? content.path));
  }

  private async onErrorAction(action: ErrorAction, runId: string | null): Promise<void> {
    switch (action) {
      case 'retry':
        if (this.lastAsk) await this.ask(this.lastAsk.agent, this.lastAsk.prompt);
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'breakwater');
        return;
      case 'setApiKey':
        await vscode.commands.executeCommand('breakwater.setApiKey');
        return;
      case 'openConfig':
        await vscode.commands.executeCommand('breakwater.openConfig');
        return;
      case 'resume':
        // The card's own run continues where it stopped; without one, the user picks.
        if (runId !== null) await this.runWith((core, signal) => core.resume(runId, { signal }), null, runId);
        else await vscode.commands.executeCommand('breakwater.resumeRun');
        return;
    }
  }

  /**
   * Sends a message (typed here, so not validated again: the webview validates what it receives).
   * Streamed text still waiting is sent first, so the webview sees everything in order.
   */
  post(message: HostMessage): void {
    this.flushText();
    this.session.record(message);
    this.postRaw(message);
  }

  /** Streamed text goes out in batches: one message per run every TEXT_BATCH_MS, not one per delta. */
  private postText(runId: string, text: string): void {
    this.pendingText.set(runId, (this.pendingText.get(runId) ?? '') + text);
    this.textTimer ??= setTimeout(() => this.flushText(), TEXT_BATCH_MS);
  }

  private flushText(): void {
    if (this.textTimer) clearTimeout(this.textTimer);
    this.textTimer = undefined;
    if (this.pendingText.size === 0) return;
    const pending = this.pendingText;
    this.pendingText = new Map();
    for (const [runId, text] of pending) {
      const message: HostMessage = { type: 'textDelta', runId, text };
      this.session.record(message);
      this.postRaw(message);
    }
  }

  private postRaw(message: HostMessage): void {
    this._onDidPost.fire(message);
    void this.webview?.postMessage(message);
  }

  dispose(): void {
    this.active?.abort.abort(new Error('Breakwater is shutting down'));
    if (this.textTimer) clearTimeout(this.textTimer);
    this._onDidPost.dispose();
  }
}

/** Which buttons an error card offers, from the kind of failure. */
export function actionsFor(kind: FailureKind | undefined): ErrorAction[] {
  switch (kind) {
    case 'auth':
      return ['setApiKey', 'openSettings'];
    case 'breaker_open':
    case 'rate_limited':
    case 'overloaded':
    case 'server':
    case 'timeout':
    case 'network':
    case 'stream_broken':
      return ['retry', 'openSettings'];
    case 'budget':
    case 'config':
      return ['openConfig'];
    default:
      return ['retry', 'openSettings'];
  }
}
