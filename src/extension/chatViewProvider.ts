import * as vscode from 'vscode';
import { renderWebviewHtml } from './webviewHtml';

/** What the view needs from the chat controller (which lives in the lazily loaded core bundle). */
export interface ChatEndpoint {
  /** Posts go to this webview until the returned disposable is disposed. */
  attach(webview: vscode.Webview): vscode.Disposable;
  /** Handles one message from the webview (validated there). */
  receive(raw: unknown): Promise<void>;
}

/**
 * Hosts the chat webview in Breakwater's activity-bar container. The controller that does the
 * talking is loaded when the view first shows, not at activation; messages the webview sends
 * meanwhile (its first `ready`) wait for it and are handled in the order they arrived.
 */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'breakwater.chat';

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly chat: () => Promise<ChatEndpoint>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    let attached: vscode.Disposable | undefined;
    let disposed = false;
    // Attach before any message is handled, so the answer to the webview's first `ready` reaches it.
    const controller = this.chat().then((c) => {
      if (!disposed) attached = c.attach(view.webview);
      return c;
    });
    controller.catch((e: unknown) => {
      this.log.error('chat: could not load the chat controller', e instanceof Error ? e : String(e));
      void view.webview.postMessage({ type: 'notice', level: 'error', markdown: `**Breakwater could not start its chat:** ${e instanceof Error ? e.message : String(e)}` });
    });
    const received = view.webview.onDidReceiveMessage((raw: unknown) => {
      void controller.then((c) => c.receive(raw), () => undefined);
    });
    view.onDidDispose(() => {
      disposed = true;
      received.dispose();
      attached?.dispose();
    });
    view.webview.html = renderWebviewHtml(view.webview, this.extensionUri, vscode.l10n.t('Breakwater chat'));
    this.log.debug('chat view resolved');
  }
}
