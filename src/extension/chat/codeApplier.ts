import * as vscode from 'vscode';
import type { HostMessage } from '../../protocol/messages';
import type { ProposedWrite } from '../coreViews';
import type { CoreSession } from '../coreSession';
import type { DiffContentProvider } from '../diffContentProvider';
import { clip } from './runEventMapper';

type Proposal = Extract<ProposedWrite, { kind: 'ask' }>;

/**
 * The chat's code actions that touch the editor: Insert at Cursor, and Apply. Apply is a write like
 * any agent's: the core's tool engine judges it (sandbox, protected paths, .breakwaterignore,
 * Restricted Mode), the card shows the engine's resolved path, diff and reason, and only Approve
 * writes — through the engine, which refuses if the file changed after the diff was shown.
 */
export class CodeApplier {
  private readonly proposals = new Map<string, Proposal>();

  constructor(
    private readonly session: CoreSession,
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

  /** Apply: the code replaces the selection (or the whole file when nothing is selected) once approved. */
  async propose(code: string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open the file to apply the code to.'));
      return;
    }
    const document = editor.document;
    const warn = (markdown: string) => this.post({ type: 'notice', level: 'warning', markdown });
    if (document.uri.scheme !== 'file') return warn(vscode.l10n.t('Apply writes files on disk: save this editor as a file in the workspace first.'));
    // The engine diffs against the file on disk: unsaved edits would be written without being reviewed as such.
    if (document.isDirty) return warn(vscode.l10n.t('Save {0} first: Apply writes the file on disk, and its unsaved changes would be part of the change.', vscode.workspace.asRelativePath(document.uri)));
    const range = editor.selection.isEmpty ? new vscode.Range(document.positionAt(0), document.positionAt(document.getText().length)) : editor.selection;
    const before = document.getText();
    const proposed = before.slice(0, document.offsetAt(range.start)) + code + before.slice(document.offsetAt(range.end));
    const verdict = await this.session.proposeWrite(document.uri.fsPath, proposed);
    if (verdict.kind === 'refused') return warn(vscode.l10n.t('**Apply refused:** {0}', verdict.reason));
    this.proposals.set(verdict.callId, verdict);
    this.post({
      type: 'approvalRequest',
      runId: 'editor',
      callId: verdict.callId,
      summary: vscode.l10n.t('Apply code to {0}', verdict.relativePath),
      reason: verdict.reason,
      canAlwaysAllow: false,
      approval: {
        tool: 'apply',
        fields: [{ label: verdict.currentContent === null ? 'Create' : 'Write', value: verdict.path }],
        change: { path: verdict.path, relativePath: verdict.relativePath, diff: clip(verdict.diff), isNew: verdict.currentContent === null },
      },
    });
  }

  async showDiff(callId: string): Promise<void> {
    const p = this.proposals.get(callId);
    if (!p) return;
    await this.diffs.showDiff(p.path, p.currentContent, p.proposedContent, vscode.l10n.t('{0} (current ↔ proposed)', p.relativePath));
  }

  /** Approve writes through the core; Reject writes nothing. The card resolves as approved only when the file was written. */
  async decide(callId: string, approved: boolean): Promise<void> {
    const p = this.proposals.get(callId);
    if (!p) return;
    this.proposals.delete(callId);
    const outcome = await (await this.session.need()).applyProposed({ callId }, approved ? 'approve' : 'reject');
    this.post({ type: 'approvalResolved', runId: 'editor', callId, approved: outcome.status === 'ok' });
    if (outcome.status === 'error' || outcome.status === 'blocked') {
      this.post({ type: 'notice', level: 'warning', markdown: vscode.l10n.t('Nothing was applied to {0}: {1}', p.relativePath, outcome.error) });
    }
  }
}
