import * as vscode from 'vscode';
import { OFFICIAL_ORIGIN, originOf, outcomeOf, PROVIDER_KINDS, TEMPLATE_NAMES, TEMPLATES, type ProviderKind } from '../core/index';
import type { ChatController } from './chat/chatController';
import type { CommandHandler, CommandId } from './commandIds';
import type { RunListItem } from './coreViews';
import { failedOutcome, toOutcome, undoReport, type CoreSession } from './coreSession';
import { configFileUri } from './hostEnvironment';
import type { SecretStorageSource } from './secretStorageSource';
import { formatHealth, formatStatus } from './statusReport';
import type { StatusNode } from './statusTreeProvider';

export interface CommandDeps {
  readonly session: CoreSession;
  readonly chat: ChatController;
  readonly secrets: SecretStorageSource;
  readonly log: vscode.LogOutputChannel;
  readonly now: () => number;
}

const t = vscode.l10n.t;

/**
 * The implementation of every `breakwater.*` command, by id. Each one returns quietly when its quick
 * pick or input box is dismissed; a failure is reported by the stub activation registered.
 */
export function commandHandlers(deps: CommandDeps): Record<CommandId, CommandHandler> {
  const { session, chat } = deps;
  const core = async () => {
    await session.open();
    return session;
  };
  async function pickAgent(c: CoreSession, placeHolder: string): Promise<string | undefined> {
    const state = await c.configState();
    if (!state.ok) {
      const open = t('Open agents.yaml');
      if ((await vscode.window.showErrorMessage(state.problem.message, open)) === open) await vscode.commands.executeCommand('breakwater.openConfig');
      return undefined;
    }
    if (state.agents.length === 0) {
      const open = t('Open Agents Config');
      if ((await vscode.window.showInformationMessage(t('No agents are configured yet.'), open)) === open) await vscode.commands.executeCommand('breakwater.openConfig');
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      state.agents.map((a) => ({ label: a.name, description: `${a.provider} · ${a.model}`, detail: a.tools.join(', ') })),
      { placeHolder, title: t('Breakwater') },
    );
    return pick?.label;
  }

  async function pickRun(c: CoreSession, filter: (r: RunListItem) => boolean, placeHolder: string, given: unknown): Promise<string | undefined> {
    if (typeof given === 'string') return given;
    if (typeof given === 'object' && given !== null && 'runId' in given && typeof given.runId === 'string') return (given as { runId: string }).runId;
    const runs = (await c.listRuns()).filter(filter);
    if (runs.length === 0) {
      void vscode.window.showInformationMessage(t('There is no run to choose.'));
      return undefined;
    }
    const pick = await vscode.window.showQuickPick(
      runs.map((r) => ({ label: r.prompt.slice(0, 80) || r.runId, description: `@${r.agent} · ${r.status}`, detail: r.runId, runId: r.runId })),
      { placeHolder },
    );
    return pick?.runId;
  }

  /** Where the key may be sent: the official origin, the endpoint in use now, or an address the user enters. */
  async function pickKeyOrigin(provider: ProviderKind): Promise<string | undefined> {
    const inUse = (await session.current?.keySources().catch(() => []))?.find((k) => k.provider === provider)?.endpoint;
    const inUseOrigin = inUse === undefined ? undefined : originOf(inUse);
    const items: (vscode.QuickPickItem & { origin?: string })[] = [{ label: OFFICIAL_ORIGIN[provider], description: t('official'), origin: OFFICIAL_ORIGIN[provider] }];
    if (inUseOrigin !== undefined && inUseOrigin !== OFFICIAL_ORIGIN[provider]) items.push({ label: inUseOrigin, description: t('the endpoint your config uses now'), origin: inUseOrigin });
    for (const o of await deps.secrets.storedOrigins(provider)) if (!items.some((i) => i.origin === o)) items.push({ label: o, description: t('has a key'), origin: o });
    items.push({ label: t('Another address…'), alwaysShow: true });
    const pick = await vscode.window.showQuickPick(items, { placeHolder: t('Which address may receive this key? It is never sent anywhere else.') });
    if (!pick) return undefined;
    if (pick.origin !== undefined) return pick.origin;
    const typed = await vscode.window.showInputBox({
      prompt: t('The address this {0} key is for, e.g. http://127.0.0.1:8000', provider),
      ignoreFocusOut: true,
      validateInput: (v) => (originOf(v.trim()) === undefined || !/^https?:$/.test(new URL(v.trim()).protocol) ? t('Enter a full http:// or https:// address') : undefined),
    });
    return typed === undefined ? undefined : originOf(typed.trim());
  }

  const revealChat = () => vscode.commands.executeCommand('breakwater.chat.focus');
  const paused = (r: RunListItem) => r.status === 'waiting_on_human' || r.status === 'interrupted';

  const handlers: [CommandId, CommandHandler][] = [
    ['breakwater.askAgent', async () => {
      const c = await core();
      const agent = await pickAgent(c, t('Which agent?'));
      if (!agent) return;
      const prompt = await vscode.window.showInputBox({ prompt: t('Ask @{0}', agent), placeHolder: t('What should it do?'), ignoreFocusOut: true });
      if (!prompt) return;
      await revealChat();
      return chat.ask(agent, prompt);
    }],

    ['breakwater.askAll', async () => {
      const prompt = await vscode.window.showInputBox({ prompt: t('Ask every agent in parallel'), ignoreFocusOut: true });
      if (!prompt) return;
      const c = await core();
      const state = await c.configState();
      if (!state.ok || state.agents.length === 0) {
        void vscode.window.showInformationMessage(state.ok ? t('No agents are configured yet.') : state.problem.message);
        return;
      }
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `# ${prompt}\n` });
      const answers = new Map<string, string>(state.agents.map((a) => [a.name, `## @${a.name} — ${t('running…')}\n`]));
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('Asking {0} agents', state.agents.length), cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort(new Error('Cancelled')));
        let done = 0;
        const all = (await c.ready()).askAll(prompt, { signal: abort.signal });
        // Each agent's own run (not a delegate's) ends with its own event: progress as they finish, not all at the end.
        const agentOf = new Map<string, string>();
        all.onEvent(({ runId, event }) => {
          if (event.type === 'run_started' && event.payload.parent_run_id === undefined) agentOf.set(runId, event.payload.agent);
          const agent = agentOf.get(runId);
          if (agent === undefined || !(event.type === 'run_completed' || event.type === 'run_failed' || event.type === 'run_paused' || event.type === 'run_cancelled')) return;
          done++;
          progress.report({ message: t('{0} of {1} done (@{2}: {3})', done, state.agents.length, agent, event.type.replace('run_', '')), increment: 100 / state.agents.length });
        });
        for (const [agent, r] of await all) {
          const o = r.kind === 'run' ? toOutcome(r.state) : failedOutcome(agent, r.error);
          answers.set(o.agent, `## @${o.agent} — ${o.status}\n\n${o.error ? `**${o.error.message}**` : o.output}\n`);
        }
      });
      const content = [`# ${prompt}`, '', ...answers.values()].join('\n');
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), content);
      await vscode.workspace.applyEdit(edit);
      await vscode.commands.executeCommand('markdown.showPreview', doc.uri);
    }],

    ['breakwater.runTask', async () => {
      const c = await core();
      const state = await c.configState();
      if (!state.ok || state.tasks.length === 0) {
        void vscode.window.showInformationMessage(state.ok ? t('No tasks are configured in agents.yaml.') : state.problem.message);
        return;
      }
      const pick = await vscode.window.showQuickPick(state.tasks.map((task) => ({ label: task.name, description: task.description, detail: task.steps.map((s) => `@${s.agent}`).join(' → ') })), { placeHolder: t('Which task?') });
      if (!pick) return;
      const extra = await vscode.window.showInputBox({ prompt: t('Anything to add to the task prompt? (optional)'), ignoreFocusOut: true });
      if (extra === undefined) return;
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('Task {0}', pick.label), cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort(new Error('Cancelled')));
        const task = (await c.ready()).runTask(pick.label, extra || undefined, { signal: abort.signal });
        // The task's handle carries its own runs only: a chat question asked meanwhile never shows here.
        let total = state.tasks.find((x) => x.name === pick.label)?.steps.length ?? 0;
        task.onEvent(({ event }) => {
          if (event.type === 'task_started') total = event.payload.steps.length;
          if (event.type === 'task_step_started') progress.report({ message: t('step {0} of {1}: @{2}', event.payload.index + 1, total, event.payload.agent), increment: 100 / Math.max(1, total) });
        });
        const r = await task;
        return { status: outcomeOf(r).shown, steps: r.steps.map((s) => (s.kind === 'run' ? toOutcome(s.state) : failedOutcome(s.agent, s.error))) };
      });
      const waiting = result.status === 'waiting_on_human' ? result.steps.find((s) => s.status === 'waiting_on_human') : undefined;
      if (waiting) {
        // The task is paused at this step: approving (or denying) it continues the task with the steps after it.
        const review = t('Review and Approve');
        void vscode.window.showInformationMessage(t('Task {0} waits for approval at @{1}; the remaining steps continue once it is approved or denied.', pick.label, waiting.agent), review).then(async (answer) => {
          if (answer !== review) return;
          await revealChat();
          await chat.receive({ type: 'openRun', runId: waiting.runId });
        });
      } else {
        void vscode.window.showInformationMessage(t('Task {0}: {1}', pick.label, result.status));
      }
      return result;
    }],

    ['breakwater.askAboutSelection', async () => {
      const editor = vscode.window.activeTextEditor;
      const selection = editor && !editor.selection.isEmpty ? editor.document.getText(editor.selection) : undefined;
      if (!editor || selection === undefined) {
        void vscode.window.showInformationMessage(t('Select some code first.'));
        return;
      }
      const c = await core();
      const agent = await pickAgent(c, t('Which agent should look at the selection?'));
      if (!agent) return;
      const question = await vscode.window.showInputBox({ prompt: t('What do you want to know about the selection?'), ignoreFocusOut: true });
      if (!question) return;
      const file = vscode.workspace.asRelativePath(editor.document.uri);
      const lines = `${editor.selection.start.line + 1}-${editor.selection.end.line + 1}`;
      await revealChat();
      return chat.ask(agent, `${question}\n\nFrom \`${file}\` lines ${lines}:\n\n\`\`\`${editor.document.languageId}\n${selection}\n\`\`\``);
    }],

    ['breakwater.setApiKey', async (given?: unknown) => {
      const provider = (typeof given === 'string' && (PROVIDER_KINDS as readonly string[]).includes(given) ? given : (await vscode.window.showQuickPick([...PROVIDER_KINDS], { placeHolder: t('Key for which provider?') }))) as ProviderKind | undefined;
      if (!provider) return;
      const origin = await pickKeyOrigin(provider);
      if (origin === undefined) return;
      const official = origin === OFFICIAL_ORIGIN[provider];
      const key = await vscode.window.showInputBox({ prompt: t('API key for {0} at {1} (kept in VS Code\'s secret storage, never in settings; sent only to {1})', provider, origin), password: true, ignoreFocusOut: true });
      if (key === undefined) return;
      if (key.trim() === '') {
        await deps.secrets.deleteApiKey(provider, official ? undefined : origin);
        void vscode.window.showInformationMessage(t('Removed the {0} key for {1}.', provider, origin));
        return;
      }
      await deps.secrets.setApiKey(provider, key.trim(), official ? undefined : origin);
      void vscode.window.showInformationMessage(t('Saved the {0} key. It is sent only to {1}.', provider, origin));
    }],

    ['breakwater.healthCheck', async () => {
      const c = await core();
      const entries = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: t('Checking providers…'), cancellable: true }, (_p, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort(new Error('Cancelled')));
        return c.health(abort.signal);
      });
      const bad = entries.filter((e) => !e.ok);
      deps.log.info(formatHealth(entries));
      if (bad.length === 0) void vscode.window.showInformationMessage(t('All {0} providers answered.', entries.length));
      else void vscode.window.showWarningMessage(t('{0} of {1} providers failed: {2}', bad.length, entries.length, bad.map((b) => `${b.name} (${b.detail})`).join(', ')));
      return entries;
    }],

    ['breakwater.showStatus', async () => {
      const c = await core();
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: formatStatus(await c.status(), deps.now()) });
      await vscode.window.showTextDocument(doc, { preview: true });
    }],

    ['breakwater.resetBreaker', async (given?: unknown) => {
      const c = await core();
      const node = given as StatusNode | undefined;
      let target: { scope: 'provider' | 'tool'; name: string } | undefined;
      if (node && node.kind === 'breaker') target = { scope: node.scope, name: node.breaker.name };
      else {
        const s = await c.status();
        const items = [...s.providers.map((b) => ({ scope: 'provider' as const, b })), ...s.tools.map((b) => ({ scope: 'tool' as const, b }))];
        if (items.length === 0) {
          void vscode.window.showInformationMessage(t('No breaker to reset yet.'));
          return;
        }
        const pick = await vscode.window.showQuickPick(items.map((i) => ({ label: i.b.name, description: `${i.scope} · ${i.b.state}`, target: { scope: i.scope, name: i.b.name } })), { placeHolder: t('Reset which breaker?') });
        target = pick?.target;
      }
      if (!target) return;
      await (await c.need()).resetBreaker(target.scope, target.name);
      void vscode.window.showInformationMessage(t('Breaker for {0} reset to closed.', target.name));
    }],

    ['breakwater.exportCosts', async () => {
      const c = await core();
      const data = JSON.parse((await c.need()).exportCosts()) as unknown;
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      const target = await vscode.window.showSaveDialog({ filters: { JSON: ['json'] }, ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'breakwater-costs.json') } : {}) });
      if (!target) return;
      await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(`${JSON.stringify(data, null, 2)}\n`));
      void vscode.window.showInformationMessage(t('Costs exported to {0}.', vscode.workspace.asRelativePath(target)));
    }],

    ['breakwater.openConfig', async () => {
      const uri = configFileUri();
      if (!uri) {
        void vscode.window.showInformationMessage(t('Open a folder first: the agents file lives in the workspace.'));
        return;
      }
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        const pick = await vscode.window.showQuickPick(
          TEMPLATE_NAMES.map((name) => ({ label: name, description: (TEMPLATES[name].split('\n')[0] ?? '').replace(/^#\s*/, '') })),
          { placeHolder: t('No agents file yet. Start from which template?') },
        );
        if (!pick) return;
        await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(TEMPLATES[pick.label]));
      }
      await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
      await session.reloadConfig();
    }],

    ['breakwater.openRun', async (given?: unknown) => {
      const c = await core();
      const runId = await pickRun(c, () => true, t('Open which run?'), given);
      if (!runId) return;
      await revealChat();
      await chat.receive({ type: 'openRun', runId });
    }],

    ['breakwater.resumeRun', async (given?: unknown) => {
      const c = await core();
      const runId = await pickRun(c, (r) => paused(r) || r.status === 'damaged', t('Resume which run?'), given);
      if (!runId) return;
      const damaged = (await c.listRuns()).find((r) => r.runId === runId && r.status === 'damaged');
      if (damaged) {
        // A damaged log cannot be continued past its bad line: offer the two ways out.
        const repair = t('Repair and Resume');
        const archive = t('Archive');
        const answer = await vscode.window.showWarningMessage(t('The log of run {0} is damaged: {1}', runId, damaged.error ?? ''), { modal: true, detail: t('Repair cuts the log before the bad line (that line and the rest are saved under "damaged" in the store) and continues from the last good event. Archive moves the run out of the lists.') }, repair, archive);
        if (answer === archive) {
          const r = (await c.need()).archiveRun(runId);
          void vscode.window.showInformationMessage(t('Archived run {0} to {1}', runId, r.movedTo));
          return;
        }
        if (answer !== repair) return;
        const r = (await c.need()).repairRun(runId);
        void vscode.window.showInformationMessage(t('Repaired run {0}: line {1} and after are saved in {2}', runId, r.line, r.savedTo));
      }
      await revealChat();
      await chat.receive({ type: 'resumeRun', runId });
    }],

    ['breakwater.approvePending', async (given?: unknown) => {
      const c = await core();
      const runId = await pickRun(c, (r) => r.status === 'waiting_on_human', t('Approve the pending calls of which run?'), given);
      if (!runId) return;
      // Approving blind is what the inline cards exist to avoid: open the run so each card (and its diff) is visible.
      await revealChat();
      await chat.receive({ type: 'openRun', runId });
      const approve = t('Approve All');
      const answer = await vscode.window.showWarningMessage(t('Approve every pending call of this run? Review them in the chat first, or approve them one by one there.'), { modal: true }, approve);
      if (answer !== approve) return;
      await chat.receive({ type: 'approveAll', runId });
    }],

    ['breakwater.undoRun', async (given?: unknown) => {
      const c = await core();
      const runId = await pickRun(c, (r) => r.status !== 'running', t('Undo the file changes of which run?'), given);
      if (!runId) return;
      const undo = t('Undo');
      if ((await vscode.window.showWarningMessage(t('Restore every file this run changed to its content before the run?'), { modal: true }, undo)) !== undo) return;
      const report = undoReport(runId, (await c.need()).undo(runId));
      void vscode.window.showInformationMessage(report);
    }],

    ['breakwater.newChat', async () => {
      await revealChat();
      await chat.receive({ type: 'newChat' });
    }],
  ];
  return Object.fromEntries(handlers) as Record<CommandId, CommandHandler>;
}
