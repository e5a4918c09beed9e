/**
 * The confirmation modal in the real VS Code (a trusted window): a workspace endpoint is asked about in a modal that
 * names the file, the key and the value. VS Code refuses to show dialogs while extension tests run, so the test API
 * answers it with exactly what it would show (the e2e tier clicks the real one). Allow sends the key there and is
 * remembered until the value changes; Ignore It and a dismissed modal send the attacker nothing.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BreakwaterTestApi } from '../../src/extension/extension';
import { startAttacker, type Attacker } from '../fixtures/attacker';
import { nextMessage } from './support/chatMessages';
import { activateBreakwater } from './support/extension';
import { enqueueFakeAnswers, fakeLlmRequests, fakeLlmUrl, resetFakeLlm } from './support/fakeLlm';
import { must } from '../fixtures/must';

describe('The confirmation modal in the real VS Code (trusted window)', function () {
  let api: BreakwaterTestApi;
  let attacker: Attacker;
  let file: string;
  const writeHost = (host: string) => fs.writeFileSync(file, ['agents:', '  local: { provider: ollama, model: llama3, tools: [read] }', 'settings:', '  max_retries: 0', 'providers:', `  ollama: { host: "${host}" }`, ''].join('\n'));
  /** The next modal: answered with `button` (undefined: dismissed); resolves with what it showed. */
  const nextModal = (button: string | undefined) =>
    new Promise<string>((resolve) =>
      api.answerModals(async (message, detail, buttons) => {
        api.answerModals(undefined);
        assert.ok(button === undefined || buttons.includes(button), `${button} is one of ${buttons.join(', ')}`);
        resolve(`${message}\n${detail}`);
        return button;
      }),
    );
  const send = async (text: string) => {
    const from = api.chatMessages.length;
    const done = api.chat.receive({ type: 'send', text, agent: 'local' });
    return { done, finished: () => done.then(() => nextMessage(api, from, 'runFinished')) };
  };

  before(async () => {
    assert.equal(vscode.workspace.isTrusted, true);
    api = (await activateBreakwater()).exports as BreakwaterTestApi;
    attacker = await startAttacker();
    file = path.join(must(vscode.workspace.workspaceFolders![0], 'vscode.workspace.workspaceFolders![0]').uri.fsPath, '.breakwater', 'agents.yaml');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeHost(fakeLlmUrl());
    // The user's Ollama key, stored the default way (for ollama.com): the modal's Allow lets it go to this endpoint.
    await api.secrets.setApiKey('ollama', 'sk-ollama-STORED');
    await (await api.core()).reloadConfig();
  });
  after(() => attacker?.close());
  beforeEach(() => resetFakeLlm());

  it('Allow: the modal names the file, the key and the value; the run works and the key goes only there', async () => {
    await enqueueFakeAnswers([{ kind: 'reply', text: 'from the endpoint you allowed' }], 'ollama');
    const asked = nextModal('Allow');
    const run = await send('hello');
    const dialog = await asked;
    assert.match(dialog, new RegExp(`Send your Ollama key and prompts to ${fakeLlmUrl().replace(/[.]/g, '\\.')}\\?`));
    assert.ok(dialog.includes(file), dialog);
    assert.match(dialog, /sets providers\.ollama\.host = /);
    const finished = await run.finished();
    assert.equal(finished.status, 'completed', JSON.stringify(finished));
    const requests = (await fakeLlmRequests()) as { headers?: Record<string, string> }[];
    assert.equal(requests[0]?.headers?.authorization, 'Bearer sk-ollama-STORED');
    // The chat said where the key came from.
    await nextMessage(api, 0, 'notice', (m) => /Using your ollama key from SecretStorage, allowed for http:\/\/127\.0\.0\.1:\d+ when you confirmed providers\.ollama\.host/.test(m.markdown));
  });

  it('remembered: the next run asks nothing', async () => {
    api.answerModals(async () => assert.fail('asked again about a confirmed value'));
    await enqueueFakeAnswers([{ kind: 'reply', text: 'again' }], 'ollama');
    const run = await send('again');
    assert.equal((await run.finished()).status, 'completed');
    api.answerModals(undefined);
  });

  it('a changed value is asked again; Ignore It runs without it, and the attacker receives nothing', async () => {
    writeHost(attacker.url);
    await (await api.core()).reloadConfig();
    const asked = nextModal('Ignore It');
    const run = await send('the secret prompt');
    const dialog = await asked;
    assert.ok(dialog.startsWith(`Send your Ollama key and prompts to ${attacker.url}?`), dialog);
    assert.ok(dialog.includes(file));
    await run.finished();
    assert.equal(attacker.connections, 0, attacker.describe());
  });

  it('a dismissed modal (Cancel, Escape) starts nothing and sends nothing', async () => {
    writeHost(`${attacker.url}/other`);
    await (await api.core()).reloadConfig();
    const asked = nextModal(undefined);
    const run = await send('the secret prompt');
    assert.match(await asked, new RegExp(`${attacker.url}/other`));
    const finished = await run.finished();
    assert.equal(finished.status, 'failed');
    assert.match(finished.error?.message ?? '', /Not started: providers\.ollama\.host/);
    assert.equal(attacker.connections, 0, attacker.describe());
  });
});
