import * as vscode from 'vscode';
import type { CoreEvent } from '../core/index';
import type { HostMessage } from '../protocol/messages';
import { COMMAND_IDS } from './commandIds';
import { ChatViewProvider } from './chatViewProvider';
import { ConfigDiagnostics } from './configDiagnostics';
import type { CoreSession } from './coreSession';
import { DiffContentProvider } from './diffContentProvider';
import type { CoreModule } from './extensionCore';
import { configFileUri, storeDir } from './hostEnvironment';
import { Notifications } from './notifications';
import { SecretStorageSource } from './secretStorageSource';
import type { SessionAccess } from './sessionAccess';
import { CostStatusBar } from './statusBar';
import { StatusTreeProvider } from './statusTreeProvider';

/** What `activate` returns: used only by the host tests, never by other extensions. */
export interface BreakwaterTestApi {
  /** The session that owns the core (opens the core). */
  core(): Promise<CoreSession>;
  /** The chat as the webview drives it (loads the chat controller on first use). */
  readonly chat: { receive(raw: unknown): Promise<void> };
  readonly tree: StatusTreeProvider;
  /** Every protocol message sent to the chat webview since activation (recorded only in ExtensionMode.Test). */
  readonly chatMessages: readonly HostMessage[];
  /** Provider keys (VS Code SecretStorage), so tests can set a key without the input box. */
  readonly secrets: SecretStorageSource;
  /** Where the extension keeps files: VS Code's global storage and Breakwater's store (run logs, breakers, costs). */
  readonly storage: { readonly global: string; readonly workspace: string };
  /** How long `activate()` took, in milliseconds (read by the activation benchmark). */
  readonly activationMs: number;
  /** Whether `activate()` itself loaded dist/extensionCore.js (it must not: that is the slow part). */
  readonly coreBundleLoadedByActivation: boolean;
  /**
   * ExtensionMode.Test only: answers the confirmation modal in place of the user, since VS Code refuses to show
   * dialogs while extension tests run ("DialogService: refused to show dialog in tests"). It receives exactly what
   * the modal would show. The e2e tier clicks the real modal.
   */
  answerModals(answer: ModalPrompt | undefined): void;
}

/** Shows one modal (message, detail, buttons) and resolves with the button picked, undefined when dismissed. */
export type ModalPrompt = (message: string, detail: string, buttons: readonly string[]) => Promise<string | undefined>;

/**
 * The composition root of the thin bundle: registers the views, the commands, the tree and the
 * status bar. Nothing here imports the core, zod or an SDK (esbuild.js checks the bundle): those
 * live in dist/extensionCore.js, required on first real use — the first chat message, a command,
 * the status tree's first read once it is visible.
 */
export function activate(context: vscode.ExtensionContext): BreakwaterTestApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Breakwater', { log: true });
  const secrets = new SecretStorageSource(context.secrets);
  const diffs = new DiffContentProvider();
  const diagnostics = new ConfigDiagnostics();
  const chatMessages: HostMessage[] = [];
  const modalAnswers: { answer?: ModalPrompt } = {};

  const coreEvents = new vscode.EventEmitter<CoreEvent>();
  const coreOpened = new vscode.EventEmitter<void>();
  let loaded: CoreModule | undefined;
  let loading: Promise<CoreModule> | undefined;
  const loadModule = (): Promise<CoreModule> => {
    loading ??= import('./extensionCore').then(
      (m) => {
        const core = m.loadCoreModule({ context, log, secrets, diffs, diagnostics, ...(context.extensionMode === vscode.ExtensionMode.Test ? { modalAnswers } : {}) });
        context.subscriptions.push(core, core.session.events((e) => coreEvents.fire(e)), core.session.onDidOpen(() => coreOpened.fire()));
        // Kept for the host tests only: in normal use every streamed delta would pile up for the window's lifetime.
        if (context.extensionMode === vscode.ExtensionMode.Test) context.subscriptions.push(core.chat.onDidPost((message) => chatMessages.push(message)));
        log.info(`Breakwater core loaded ${(performance.now() - started).toFixed(0)} ms after activation began`);
        loaded = core;
        return core;
      },
      (err: unknown) => {
        // Not cached: the next use tries again (and reports again).
        loading = undefined;
        throw err;
      },
    );
    return loading;
  };
  /** The session, with its core opened (a config that does not load leaves it without one: it says why). */
  const openSession = async (): Promise<CoreSession> => {
    const { session } = await loadModule();
    await session.open();
    return session;
  };
  const access: SessionAccess = {
    get current() {
      return loaded?.session;
    },
    load: openSession,
    onEvent: coreEvents.event,
    onDidOpen: coreOpened.event,
  };
  const chat: BreakwaterTestApi['chat'] = { receive: async (raw) => (await loadModule()).chat.receive(raw) };
  const tree = new StatusTreeProvider(access, Date.now, (e) => log.error('status tree: could not read the status', e instanceof Error ? e : String(e)));

  context.subscriptions.push(
    log,
    coreEvents,
    coreOpened,
    diffs,
    diagnostics,
    tree,
    vscode.workspace.registerTextDocumentContentProvider(DiffContentProvider.scheme, diffs),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, new ChatViewProvider(context.extensionUri, async () => (await loadModule()).chat, log)),
    vscode.window.createTreeView(StatusTreeProvider.viewId, { treeDataProvider: tree, showCollapseAll: true }),
    new CostStatusBar(access),
    new Notifications(access, log),
    ...COMMAND_IDS.map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await (await loadModule()).commands[id](...args);
        } catch (e) {
          log.error(`${id} failed`, e instanceof Error ? e : String(e));
          void vscode.window.showErrorMessage(vscode.l10n.t('Breakwater: {0}', e instanceof Error ? e.message : String(e)));
          return undefined;
        }
      }),
    ),
    // A save in VS Code reloads at once (the core's watcher also sees it, and edits made elsewhere).
    vscode.workspace.onDidSaveTextDocument(async (doc) => {
      if (doc.uri.fsPath !== configFileUri()?.fsPath || !loaded) return;
      // At once, rather than when the core's watcher sees it; the session refreshes the chat on every reload.
      await loaded.session.reloadConfig();
    }),
    // The core was built with `trusted: false`; only a new one lets agents use the write tools.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      if (!loaded) return;
      log.info('Workspace trusted: recreating the core with every tool available');
      await loaded.session.reopen();
      // The chat's banner lists the tools Restricted Mode turned off.
      await loaded.chat.sendInit();
      await tree.refresh();
    }),
  );

  const activationMs = performance.now() - started;
  const coreBundleLoadedByActivation = loading !== undefined;
  log.info(`Breakwater activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.env.appName})`);
  return {
    core: openSession,
    chat,
    tree,
    chatMessages,
    secrets,
    activationMs,
    coreBundleLoadedByActivation,
    storage: { global: context.globalStorageUri.fsPath, workspace: storeDir(context) },
    answerModals: (answer) => {
      if (context.extensionMode !== vscode.ExtensionMode.Test) throw new Error('answerModals is for extension tests only');
      modalAnswers.answer = answer;
    },
  };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
