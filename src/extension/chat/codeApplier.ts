import * as vscode from 'vscode';
import type { HostMessage } from '../../protocol/messages';
import type { DiffContentProvider } from '../diffContentProvider';

interface Proposal {
  readonly uri: vscode.Uri;
  readonly range: vscode.Range;
  readonly before: string;
  readonly proposed: string;
  readonly version: number;
}

/** The chat's code actions that touch the editor: Insert at Cursor, and Apply behind an approval card. */
export class CodeApplier {
  private readonly proposals = new Map<string, Proposal>();
  private counter = 0;

  constructor(
    private readonly diffs: DiffContentProvider,
    private readonly post: (message: HostMessage) => void,
  ) {}

  owns(callId: string): boolean {
    return this.proposals.has(callId);
  }

  async insertAtCursor(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a file to insert the code into.'));
      return;
    }
    await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, code);
    });
  }

  /**
   * Apply: the code replaces the selection (or the whole file when nothing is selected), but only
   * after the user approves the same kind of card, with a diff, that an agent's write gets.
   */
  async propose(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open the file to apply the code to.'));
      return;
    }
    const document = editor.document;
    const range = editor.selection.isEmpty ? new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)) : editor.selection;
    const before = document.getText();
    const proposed = before.slice(0, document.offsetAt(range.start)) + code + before.slice(document.offsetAt(range.end));
    const callId = `apply-${++this.counter}`;
    this.proposals.set(callId, { uri: document.uri, range, before, proposed, version: document.version });
    const relativePath = vscode.workspace.asRelativePath(document.uri);
    this.post({
      type: 'approvalRequest',
      runId: 'editor',
      callId,
      summary: vscode.l10n.t('Apply code to {0}', relativePath),
      reason: vscode.l10n.t('Changing a file needs your approval.'),
      canAlwaysAllow: false,
      approval: { tool: 'apply', path: document.uri.fsPath || document.uri.toString(), relativePath, diff: '', isNew: false },
    });
  }

  async showDiff(callId: string): Promise<void> {
    const p = this.proposals.get(callId);
    if (!p) return;
    await this.diffs.showDiff(p.uri.fsPath, p.before, p.proposed, vscode.l10n.t('{0} (current ↔ proposed)', vscode.workspace.asRelativePath(p.uri)));
  }

  async decide(callId: string, approved: boolean): Promise<void> {
    const p = this.proposals.get(callId);
    if (!p) return;
    this.proposals.delete(callId);
    if (!approved) {
      this.post({ type: 'approvalResolved', runId: 'editor', callId, approved: false });
      return;
    }
    const document = await vscode.workspace.openTextDocument(p.uri);
    if (document.version !== p.version) {
      // The file changed since the diff was shown; applying now would apply something not reviewed.
      this.post({ type: 'approvalResolved', runId: 'editor', callId, approved: false });
      this.post({ type: 'notice', level: 'warning', markdown: vscode.l10n.t('The file changed after the diff was shown; nothing was applied. Apply again to review the new diff.') });
      return;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(p.uri, p.range, p.proposed.slice(document.offsetAt(p.range.start), p.proposed.length - (p.before.length - document.offsetAt(p.range.end))));
    const ok = await vscode.workspace.applyEdit(edit);
    this.post({ type: 'approvalResolved', runId: 'editor', callId, approved: ok });
  }
}
