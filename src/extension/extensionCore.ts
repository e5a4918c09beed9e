import * as vscode from 'vscode';
import { environmentKeys } from '../core/index';
import { ChatController } from './chat/chatController';
import type { CommandHandler, CommandId } from './commandIds';
import { commandHandlers } from './commands';
import type { ConfigDiagnostics } from './configDiagnostics';
import { CoreSession } from './coreSession';
import type { DiffContentProvider } from './diffContentProvider';
import type { ModalPrompt } from './extension';
import { configFileUri, ripgrepPath, storeDir, workspaceFolders } from './hostEnvironment';
import { askEscalation } from './notifications';
import { disabledTools } from './restrictedTools';
import { extensionKeys } from './secretStorageKeys';
import type { SecretStorageSource } from './secretStorageSource';
import { configTrust } from './trustModal';
import { userConfigFile } from './userConfigFile';

/**
 * The entry of `dist/extensionCore.js`: everything that needs Breakwater's core (zod, the provider
 * SDKs, the tool engine) — the core session, the chat controller and the commands' implementations.
 * `extension.ts` requires this bundle on first real use (a chat message, a command, the status
 * tree's first read), so activation only compiles the small adapter bundle.
 */

export interface CoreModuleDeps {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  readonly secrets: SecretStorageSource;
  readonly diffs: DiffContentProvider;
  readonly diagnostics: ConfigDiagnostics;
  /** ExtensionMode.Test only: answers modals in place of the user (see `BreakwaterTestApi.answerModals`). */
  readonly modalAnswers?: { readonly answer?: ModalPrompt };
}

/** What the lazily loaded bundle provides: the one session that owns the core, and what uses it. */
export interface CoreModule extends vscode.Disposable {
  readonly session: CoreSession;
  readonly chat: ChatController;
  readonly commands: Readonly<Record<CommandId, CommandHandler>>;
}

export function loadCoreModule(deps: CoreModuleDeps): CoreModule {
  const { context, log, secrets, diffs, diagnostics } = deps;
  const trust = configTrust(context, log, deps.modalAnswers);
  // SecretStorage first; the extension host's own environment only in a trusted window.
  const keys = extensionKeys(secrets, () => (vscode.workspace.isTrusted ? environmentKeys(process.env) : undefined));
  const folder = () => workspaceFolders()[0] ?? storeDir(context);
  // `chat` is created just below, before the core (and so any approval) can exist.
  // eslint-disable-next-line prefer-const
  let chat: ChatController;
  const session = new CoreSession({
    options: () => ({
      workspaceFolders: workspaceFolders(),
      storeDir: storeDir(context),
      configFile: configFileUri()?.fsPath ?? `${storeDir(context)}/agents.yaml`,
      userConfigFile: userConfigFile(),
      confirmations: trust.reviewer,
      trustFolder: folder(),
      secrets: keys,
      trusted: vscode.workspace.isTrusted,
      ripgrepPath: ripgrepPath(),
      approver: (prompt, signal) => chat.requestApproval(prompt, signal),
      watchConfig: true,
      escalate: askEscalation,
    }),
    reviewWorkspaceValues: (pending) => trust.review(folder(), pending),
  });
  chat = new ChatController({ session, log, diffs, trusted: () => vscode.workspace.isTrusted, disabledTools: () => disabledTools(), now: Date.now });
  const commands = commandHandlers({ session, chat, secrets, log, now: Date.now });
  const refreshChat = (): void => void chat.sendInit().catch((e: unknown) => log.error('chat: could not refresh the agents', e instanceof Error ? e : String(e)));
  /** Each store problem is shown once per window (a failing disk would otherwise repeat it per run). */
  const shown = new Set<string>();
  const subscriptions = [
    // The Problems panel follows the core's config watcher: edits made outside VS Code show too.
    session.onConfigProblem((problem) => {
      diagnostics.show(problem);
      refreshChat();
    }),
    // A valid edit (in VS Code or elsewhere) may add or remove agents and tasks: the chat lists them again.
    session.onConfigReloaded(refreshChat),
    session.onWarning(({ runId, message }) => {
      log.warn(runId === '' ? message : `run ${runId}: ${message}`);
      // Damaged state files and the like concern the whole store: the user must see them, once.
      if (runId === '' && !shown.has(message)) {
        shown.add(message);
        void vscode.window.showWarningMessage(vscode.l10n.t('Breakwater: {0}', message));
      }
    }),
    session.onStoreError((e) => {
      log.error('store: could not write', e);
      if (shown.has(e.message)) return;
      shown.add(e.message);
      void vscode.window.showErrorMessage(vscode.l10n.t('Breakwater could not save to its store: {0}', e.message));
    }),
  ];
  return {
    session,
    chat,
    commands,
    dispose: () => {
      for (const s of subscriptions) s.dispose();
      chat.dispose();
      session.dispose();
    },
  };
}
