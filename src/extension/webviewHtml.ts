import * as crypto from 'node:crypto';
import * as vscode from 'vscode';

/** A fresh nonce per render: only scripts carrying it run (CSP `script-src 'nonce-…'`). */
export function createNonce(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** The chat view's HTML: CSP `default-src 'none'`, scripts by nonce, styles and fonts from the webview's own source. */
export function renderWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = createNonce();
  const asset = (...parts: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...parts)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('dist', 'codicons', 'codicon.css')}">
<link rel="stylesheet" href="${asset('media', 'chat.css')}">
<title>${title}</title>
</head>
<body>
<div id="app" role="application" aria-label="${title}"></div>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
}
