import * as vscode from 'vscode';
import { ChatViewProvider } from './chatViewProvider';
import { StatusTreeProvider } from './statusTreeProvider';

/** The composition root: creates the adapters and registers them. Nothing else happens here. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Breakwater', { log: true });
  context.subscriptions.push(log);

  const chat = new ChatViewProvider(context.extensionUri, log);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chat));

  const status = new StatusTreeProvider();
  context.subscriptions.push(status, vscode.window.createTreeView(StatusTreeProvider.viewId, { treeDataProvider: status, showCollapseAll: true }));

  log.info(`Breakwater activated (VS Code ${vscode.version}, ${vscode.env.appName})`);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
