/**
 * The extension inside a real VS Code: it activates, every command package.json contributes is registered, and each
 * runs without throwing (UI it opens is dismissed as a user walking away would).
 */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { runCommandDismissingUi, tidyWorkbench } from './support/commands';
import { activateBreakwater, contributedCommands } from './support/extension';
import { enqueueFakeAnswers, fakeLlmRequests, fakeLlmUrl, resetFakeLlm } from './support/fakeLlm';

describe('Breakwater in the real VS Code host', () => {
  it('runs in VS Code 1.100.x', () => {
    assert.match(vscode.version, /^1\.100\./, `expected VS Code 1.100.x, got ${vscode.version}`);
  });

  it('activates', async () => {
    const ext = await activateBreakwater();
    assert.equal(ext.isActive, true);
  });

  it('shows its view container with the chat and status views', async () => {
    await activateBreakwater();
    // VS Code generates `<viewId>.focus` for every contributed view; they fail if the view does not exist.
    await vscode.commands.executeCommand('workbench.view.extension.breakwater');
    await vscode.commands.executeCommand('breakwater.chat.focus');
    await vscode.commands.executeCommand('breakwater.status.focus');
  });

  it('registers every command in package.json contributes.commands', async () => {
    await activateBreakwater();
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributedCommands()
      .map((c) => c.command)
      .filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  describe('each contributed command runs without throwing', () => {
    // Read when the file loads (VS Code already parsed package.json), so every command gets its own test.
    for (const { command, title } of contributedCommands()) {
      it(`${command} (${title ?? 'no title'})`, async () => {
        await activateBreakwater();
        const outcome = await runCommandDismissingUi(command);
        await tidyWorkbench();
        if (outcome.kind === 'rejected') assert.fail(`${command} threw: ${String((outcome.error as Error)?.stack ?? outcome.error)}`);
        assert.equal(outcome.kind, 'resolved', `${command} did not settle within 15 s even after its UI was dismissed`);
      });
    }
  });

  it('reaches the fake LLM server the harness started (BREAKWATER_FAKE_LLM_URL)', async () => {
    await resetFakeLlm();
    await enqueueFakeAnswers([{ kind: 'reply', text: 'hello from the fake' }], 'openai');
    const res = await fetch(`${fakeLlmUrl()}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer test-key' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as { choices: { message: { content: string } }[] };
    assert.equal(answer.choices[0]?.message.content, 'hello from the fake');
    assert.equal((await fakeLlmRequests()).length, 1);
  });
});
