import * as vscode from 'vscode';
import type { HostMessage } from '../protocol/messages';
import { ChatController } from './chat/chatController';
import { ChatViewProvider } from './chatViewProvider';
import { registerCommands } from './commands';
import { ConfigDiagnostics } from './configDiagnostics';
import type { CoreFacade } from './coreFacade';
import { CoreHost } from './coreHost';
import { DiffContentProvider } from './diffContentProvider';
import { configFileUri, disabledTools, ripgrepPath, storeDir, workspaceFolders } from './hostEnvironment';
import { askEscalation, Notifications } from './notifications';
import { SecretStorageSource } from './secretStorageSource';
import { CostStatusBar } from './statusBar';
import { StatusTreeProvider } from './statusTreeProvider';

/** What `activate` returns: used only by the host tests, never by other extensions. */
export interface BreakwaterTestApi {
  core(): Promise<CoreFacade>;
  chat: ChatController;
  tree: StatusTreeProvider;
  /** Every protocol message sent to the chat webview since activation. */
  readonly chatMessages: readonly HostMessage[];
  /** Provider keys (VS Code SecretStorage), so tests can set a key without the input box. */
  readonly secrets: SecretStorageSource;
  /** Where the extension keeps files: VS Code's global storage and Breakwater's store (run logs, breakers, costs). */
  readonly storage: { readonly global: string; readonly workspace: string };
  /** How long `activate()` took, in milliseconds (read by the activation benchmark). */
  readonly activationMs: number;
}

/** The composition root: creates the adapters and registers them. The core is created on first use. */
export function activate(context: vscode.ExtensionContext): BreakwaterTestApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Breakwater', { log: true });
  const secrets = new SecretStorageSource(context.secrets);
  const diffs = new DiffContentProvider();
  const diagnostics = new ConfigDiagnostics();
  // The core's approver needs the chat, which needs the core: break the cycle with a late-bound reference.
  const chatRef: { current?: ChatController } = {};

  const host = new CoreHost(async () => {
    const { createBreakwaterFacade } = await import('./breakwaterFacade');
    const configFile = configFileUri()?.fsPath ?? `${storeDir(context)}/agents.yaml`;
    const facade = await createBreakwaterFacade({
      workspaceFolders: workspaceFolders(),
      storeDir: storeDir(context),
      configFile,
      secrets,
      trusted: vscode.workspace.isTrusted,
      ripgrepPath: ripgrepPath(),
      approver: (prompt, signal) => (chatRef.current ? chatRef.current.requestApproval(prompt, signal) : Promise.resolve({ kind: 'defer' as const })),
      watchConfig: true,
      escalate: askEscalation,
    });
    const state = await facade.configState();
    diagnostics.show(state.ok ? undefined : state.problem);
    return facade;
  });

  const chat = new ChatController({ core: () => host.get(), log, diffs, trusted: () => vscode.workspace.isTrusted, disabledTools: () => disabledTools(), now: Date.now });
  chatRef.current = chat;
  const chatMessages: HostMessage[] = [];
  const tree = new StatusTreeProvider(host);

  context.subscriptions.push(
    log,
    host,
    diffs,
    diagnostics,
    chat,
    chat.onDidPost((m) => chatMessages.push(m)),
    tree,
    vscode.workspace.registerTextDocumentContentProvider(DiffContentProvider.scheme, diffs),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, new ChatViewProvider(context.extensionUri, chat, log)),
    vscode.window.createTreeView(StatusTreeProvider.viewId, { treeDataProvider: tree, showCollapseAll: true }),
    new CostStatusBar(host),
    new Notifications(host, log),
    ...registerCommands({ host, chat, secrets, log, now: Date.now }),
    vscode.workspace.onDidSaveTextDocument(async (doc) => {
      if (doc.uri.fsPath !== configFileUri()?.fsPath || !host.current) return;
      await host.current.reloadConfig();
      const state = await host.current.configState();
      diagnostics.show(state.ok ? undefined : state.problem);
      await chat.sendInit();
    }),
    // The core was built with `trusted: false`; only a new one lets agents use the write tools.
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      log.info('Workspace trusted: recreating the core with every tool available');
      await host.recreate();
      await chat.sendInit();
      await tree.refresh();
    }),
  );

  const activationMs = performance.now() - started;
  log.info(`Breakwater activated in ${activationMs.toFixed(1)} ms (VS Code ${vscode.version}, ${vscode.env.appName})`);
  return { core: () => host.get(), chat, tree, chatMessages, secrets, activationMs, storage: { global: context.globalStorageUri.fsPath, workspace: storeDir(context) } };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
