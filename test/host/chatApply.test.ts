/**
 * Apply on a chat code block inside the real VS Code host: the card comes from the core's approval gate (the
 * engine's resolved path, its diff and reason), the file changes only after Approve, never after Reject, and a
 * path .breakwaterignore covers is refused without a card.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BreakwaterTestApi } from '../../src/extension/extension';
import { nextMessage } from './support/chatMessages';
import { activateBreakwater } from './support/extension';

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host test needs the sample workspace open');
  return fs.realpathSync(folder.uri.fsPath);
}

/** Opens `file` in an editor with nothing selected, so Apply replaces the whole file. */
async function openInEditor(file: string): Promise<void> {
  const editor = await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: false });
  editor.selection = new vscode.Selection(0, 0, 0, 0);
}

describe('Apply from a chat code block in the real VS Code host', function () {
  this.timeout(60_000);
  let api: BreakwaterTestApi;
  const created: string[] = [];

  before(async () => {
    api = (await activateBreakwater()).exports as BreakwaterTestApi;
    await api.core();
  });
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of created.splice(0)) fs.rmSync(f, { force: true });
  });

  it('shows the gate’s card (resolved path, diff, reason) and writes only after Approve', async () => {
    const target = path.join(workspaceRoot(), 'apply-approved.txt');
    fs.writeFileSync(target, 'before\n');
    created.push(target);
    await openInEditor(target);
    const from = api.chatMessages.length;
    await api.chat.receive({ type: 'applyCode', code: 'after\n', language: 'text' });
    const card = await nextMessage(api, from, 'approvalRequest');
    assert.equal(card.approval.tool, 'apply');
    assert.ok(card.approval.tool === 'apply' && card.approval.change?.path === target, `the card shows the engine's resolved path, got ${JSON.stringify(card.approval)}`);
    assert.match(card.approval.change?.diff ?? '', /-before\n\+after/);
    assert.equal(card.reason, 'write: creates or overwrites apply-approved.txt — needs your approval');
    assert.equal(fs.readFileSync(target, 'utf8'), 'before\n', 'nothing is written while the card waits');

    await api.chat.receive({ type: 'viewDiff', runId: card.runId, callId: card.callId });
    assert.ok(vscode.window.tabGroups.activeTabGroup.activeTab?.input instanceof vscode.TabInputTextDiff, 'View Diff opens a diff editor');
    assert.equal(fs.readFileSync(target, 'utf8'), 'before\n', 'viewing the diff writes nothing');

    await api.chat.receive({ type: 'approve', runId: card.runId, callId: card.callId, always: false });
    assert.equal(fs.readFileSync(target, 'utf8'), 'after\n');
    assert.equal((await nextMessage(api, from, 'approvalResolved', (m) => m.callId === card.callId)).approved, true);
  });

  it('never writes after Reject', async () => {
    const target = path.join(workspaceRoot(), 'apply-rejected.txt');
    fs.writeFileSync(target, 'keep me\n');
    created.push(target);
    await openInEditor(target);
    const from = api.chatMessages.length;
    await api.chat.receive({ type: 'applyCode', code: 'must not appear\n', language: 'text' });
    const card = await nextMessage(api, from, 'approvalRequest');
    await api.chat.receive({ type: 'reject', runId: card.runId, callId: card.callId, reason: 'no' });
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep me\n');
    assert.equal((await nextMessage(api, from, 'approvalResolved', (m) => m.callId === card.callId)).approved, false);
    // A decided card cannot be approved afterwards.
    await api.chat.receive({ type: 'approve', runId: card.runId, callId: card.callId, always: false });
    assert.equal(fs.readFileSync(target, 'utf8'), 'keep me\n');
  });

  it('refuses a path .breakwaterignore covers: no card, nothing written', async () => {
    const ignoreFile = path.join(workspaceRoot(), '.breakwaterignore');
    const hadIgnore = fs.existsSync(ignoreFile) ? fs.readFileSync(ignoreFile, 'utf8') : undefined;
    const target = path.join(workspaceRoot(), 'apply-ignored.txt');
    fs.writeFileSync(target, 'private\n');
    created.push(target);
    fs.writeFileSync(ignoreFile, `${hadIgnore ?? ''}\napply-ignored.txt\n`);
    try {
      await openInEditor(target);
      const from = api.chatMessages.length;
      await api.chat.receive({ type: 'applyCode', code: 'overwritten\n', language: 'text' });
      const notice = await nextMessage(api, from, 'notice', (m) => /Apply refused/.test(m.markdown));
      assert.match(notice.markdown, /breakwaterignore/);
      assert.equal(api.chatMessages.slice(from).some((m) => m.type === 'approvalRequest'), false, 'no card to approve');
      assert.equal(fs.readFileSync(target, 'utf8'), 'private\n');
    } finally {
      if (hadIgnore === undefined) fs.rmSync(ignoreFile, { force: true });
      else fs.writeFileSync(ignoreFile, hadIgnore);
    }
  });
});
