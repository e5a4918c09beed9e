import * as vscode from 'vscode';
import { createBreakwaterFacade } from './breakwaterFacade';
import { ChatController } from './chat/chatController';
import type { CommandHandler, CommandId } from './commandIds';
import { commandHandlers } from './commands';
import type { ConfigDiagnostics } from './configDiagnostics';
import type { CoreFacade } from './coreFacade';
import type { CoreHost } from './coreHost';
import type { DiffContentProvider } from './diffContentProvider';
import type { ModalPrompt } from './extension';
import { environmentKeys } from '../core/providers/environmentKeys';
import { configFileUri, ripgrepPath, storeDir, workspaceFolders } from './hostEnvironment';
import { askEscalation } from './notifications';
import { disabledTools } from './restrictedTools';
import { extensionKeys } from './secretStorageKeys';
import type { SecretStorageSource } from './secretStorageSource';
import { configTrust } from './trustModal';
import { userConfigFile } from './userConfigFile';

/**
 * The entry of `dist/extensionCore.js`: everything that needs Breakwater's core (zod, the provider
 * SDKs, the tool engine) — the core itself, the chat controller and the commands' implementations.
 * `extension.ts` requires this bundle on first real use (a chat message, a command, the status
 * tree's first read), so activation only compiles the small adapter bundle.
 */

export interface CoreBindingsDeps {
  readonly context: vscode.ExtensionContext;
  /** Activation's core host; `createCore` is its factory. */
  readonly host: CoreHost;
  readonly log: vscode.LogOutputChannel;
  readonly secrets: SecretStorageSource;
  readonly diffs: DiffContentProvider;
  readonly diagnostics: ConfigDiagnostics;
  /** ExtensionMode.Test only: answers modals in place of the user (see `BreakwaterTestApi.answerModals`). */
  readonly modalAnswers?: { readonly answer?: ModalPrompt };
}

export interface CoreBindings extends vscode.Disposable {
  /** Creates the core facade for the workspace as it is now (the host caches it). */
  createCore(): Promise<CoreFacade>;
  readonly chat: ChatController;
  readonly commands: Readonly<Record<CommandId, CommandHandler>>;
}

export function createCoreBindings(deps: CoreBindingsDeps): CoreBindings {
  const { context, host, log, secrets, diffs, diagnostics } = deps;
  const chat = new ChatController({ core: () => host.get(), log, diffs, trusted: () => vscode.workspace.isTrusted, disabledTools: () => disabledTools(), now: Date.now });
  const commands = commandHandlers({ host, chat, secrets, log, now: Date.now });
  const trust = configTrust(context, log, deps.modalAnswers);
  // SecretStorage first; the extension host's own environment only in a trusted window.
  const keys = extensionKeys(secrets, () => (vscode.workspace.isTrusted ? environmentKeys(process.env) : undefined));

  async function createCore(): Promise<CoreFacade> {
    const configFile = configFileUri()?.fsPath ?? `${storeDir(context)}/agents.yaml`;
    const folder = workspaceFolders()[0] ?? storeDir(context);
    const facade = await createBreakwaterFacade(
      {
        workspaceFolders: workspaceFolders(),
        storeDir: storeDir(context),
        configFile,
        userConfigFile: userConfigFile(),
        confirmations: trust.reviewer,
        trustFolder: folder,
        secrets: keys,
        trusted: vscode.workspace.isTrusted,
        ripgrepPath: ripgrepPath(),
        approver: (prompt, signal) => chat.requestApproval(prompt, signal),
        watchConfig: true,
        escalate: askEscalation,
      },
      { reviewWorkspaceValues: (pending) => trust.review(folder, pending) },
    );
    const state = await facade.configState();
    diagnostics.show(state.ok ? undefined : state.problem);
    return facade;
  }

  return { createCore, chat, commands, dispose: () => chat.dispose() };
}
