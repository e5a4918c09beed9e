import * as vscode from 'vscode';
import type { ChatController } from './chat/chatController';
import { renderWebviewHtml } from './webviewHtml';

/** Hosts the chat webview in Breakwater's activity-bar container; the controller does the talking. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'breakwater.chat';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    // Attach before setting the HTML so the webview's first `ready` is not missed.
    const attached = this.controller.attach(view.webview);
    view.onDidDispose(() => attached.dispose());
    view.webview.html = renderWebviewHtml(view.webview, this.extensionUri, vscode.l10n.t('Breakwater chat'));
    this.log.debug('chat view resolved');
  }
}
