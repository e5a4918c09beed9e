/**
 * The chat inside the real VS Code host, against the fake LLM server: a request streams into the webview (asserted on
 * the protocol messages the host posts), an approval writes the file only after Approve and never after Reject, and
 * the API key lives in SecretStorage only.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BreakwaterTestApi } from '../../src/extension/extension';
import type { HostMessage, HostMessageOf } from '../../src/protocol/messages';
import { nextMessage } from './support/chatMessages';
import { activateBreakwater } from './support/extension';
import { enqueueFakeAnswers, fakeLlmRequests, fakeLlmUrl, resetFakeLlm } from './support/fakeLlm';
import { must } from '../fixtures/must';

/** A key no other file could contain by chance: found anywhere but SecretStorage and the request, it leaked. */
const openaiKey = `sk-bw-host-${Math.random().toString(36).slice(2)}-secret`;

function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the host test needs the sample workspace open');
  return folder.uri.fsPath;
}

/** Points the workspace copy's agents at the fake server and stores the key the way Set API Key does. */
async function configureForFakeLlm(api: BreakwaterTestApi): Promise<void> {
  const url = fakeLlmUrl();
  const yaml = [
    'settings:',
    '  default_provider: openai',
    '  default_model: gpt-4o-mini',
    '  max_retries: 0',
    '  retry_delay: 0',
    '  budget_usd: 5',
    // The endpoints come from the user scope the harness writes (BREAKWATER_USER_CONFIG): the fake LLM server.
    'agents:',
    '  writer:',
    '    role: "You change files when asked."',
    '    provider: openai',
    '    model: gpt-4o-mini',
    '    tools: [read, write, edit, bash]',
    'tasks:',
    '  report:',
    '    description: one step that streams slowly',
    '    steps:',
    '      - { agent: writer, prompt: write the report }',
  ].join('\n');
  fs.mkdirSync(path.join(workspaceRoot(), '.breakwater'), { recursive: true });
  fs.writeFileSync(path.join(workspaceRoot(), '.breakwater', 'agents.yaml'), yaml + '\n');
  // Given for the fake server's origin: a key is sent only to the origin it was given for.
  await api.secrets.setApiKey('openai', openaiKey, new URL(url).origin);
  const core = await api.core();
  await core.reloadConfig();
  const state = await core.configState();
  assert.ok(state.ok, `agents.yaml did not load: ${state.ok ? '' : state.problem.message}`);
  assert.ok(state.agents.some((a) => a.name === 'writer'));
}

function messagesOf<K extends HostMessage['type']>(messages: readonly HostMessage[], type: K): HostMessageOf<K>[] {
  return messages.filter((m): m is HostMessageOf<K> => m.type === type);
}

describe('Chat in the real VS Code host (fake LLM server)', function () {
  this.timeout(60_000);
  let api: BreakwaterTestApi;

  before(async () => {
    api = (await activateBreakwater()).exports as BreakwaterTestApi;
    await configureForFakeLlm(api);
  });

  beforeEach(() => resetFakeLlm());

  it('streams a request into the webview: deltas in order, the final answer, then usage', async () => {
    const answer = 'Hello **world**: this answer arrives in small pieces.';
    // Paced slower than the chat's 25 ms text batches, so the answer reaches the webview in several deltas.
    await enqueueFakeAnswers([{ kind: 'reply', text: answer, chunkSize: 6, tokenDelayMs: 60, usage: { input: 120, output: 14 } }], 'openai');
    const from = api.chatMessages.length;
    await api.chat.receive({ type: 'send', text: 'Say hello', agent: 'writer' });
    const sent = api.chatMessages.slice(from);

    const types = sent.map((m) => m.type);
    const started = messagesOf(sent, 'runStarted')[0];
    assert.ok(started, `no runStarted in ${types.join(', ')}`);
    assert.equal(started.agent, 'writer');
    assert.equal(started.provider, 'openai');
    const deltas = messagesOf(sent, 'textDelta').filter((d) => d.runId === started.runId);
    assert.ok(deltas.length > 1, `expected the answer in several deltas, got ${deltas.length}`);
    assert.equal(deltas.map((d) => d.text).join(''), answer, 'the deltas, joined in order, are the answer');
    const finished = messagesOf(sent, 'runFinished').find((f) => f.runId === started.runId);
    assert.ok(finished, 'no runFinished');
    assert.equal(finished.status, 'completed');
    assert.ok(finished.usage, 'runFinished carries usage');
    assert.equal(finished.usage.inputTokens, 120);
    assert.equal(finished.usage.outputTokens, 14);
    assert.ok(finished.usage.costUsd > 0, 'a priced model costs something');
    assert.equal(finished.usage.budgetUsd, 5);
    // Order: the prompt, the run, every delta, then the end.
    assert.ok(types.indexOf('userPrompt') < types.indexOf('runStarted'));
    assert.ok(sent.indexOf(must(deltas[deltas.length - 1], 'deltas[deltas.length - 1]')) < sent.indexOf(finished));
  });

  it('writes a file only after Approve (and shows the diff first)', async () => {
    const target = path.join(workspaceRoot(), 'approved.txt');
    fs.rmSync(target, { force: true });
    await enqueueFakeAnswers(
      [
        { kind: 'reply', toolCalls: [{ id: 'call_approve', name: 'write', args: { path: 'approved.txt', content: 'approved content\n' } }] },
        { kind: 'reply', text: 'Wrote approved.txt.' },
      ],
      'openai',
    );
    const from = api.chatMessages.length;
    const run = api.chat.receive({ type: 'send', text: 'Create approved.txt', agent: 'writer' });
    const request = await nextMessage(api, from, 'approvalRequest');
    assert.equal(request.approval.tool, 'write');
    assert.ok(request.approval.tool === 'write' && request.approval.change?.path === target, `the card shows the real resolved path, got ${JSON.stringify(request.approval)}`);
    assert.equal(fs.existsSync(target), false, 'nothing is written while the card waits');

    await api.chat.receive({ type: 'viewDiff', runId: request.runId, callId: request.callId });
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    assert.ok(tab?.input instanceof vscode.TabInputTextDiff, `View Diff opens a diff editor, got ${tab?.label}`);
    assert.equal(fs.existsSync(target), false, 'viewing the diff writes nothing');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');

    await api.chat.receive({ type: 'approve', runId: request.runId, callId: request.callId, always: false });
    await run;
    assert.equal(fs.readFileSync(target, 'utf8'), 'approved content\n');
    const resolved = await nextMessage(api, from, 'approvalResolved', (m) => m.callId === request.callId);
    assert.equal(resolved.approved, true);
    const finished = await nextMessage(api, from, 'runFinished', (m) => m.runId === request.runId);
    assert.equal(finished.status, 'completed');
  });

  it('never writes a file after Reject, and tells the agent why', async () => {
    const target = path.join(workspaceRoot(), 'rejected.txt');
    fs.rmSync(target, { force: true });
    await enqueueFakeAnswers(
      [
        { kind: 'reply', toolCalls: [{ id: 'call_reject', name: 'write', args: { path: 'rejected.txt', content: 'must not appear\n' } }] },
        { kind: 'reply', text: 'Understood, I left it alone.' },
      ],
      'openai',
    );
    const from = api.chatMessages.length;
    const run = api.chat.receive({ type: 'send', text: 'Create rejected.txt', agent: 'writer' });
    const request = await nextMessage(api, from, 'approvalRequest');
    await api.chat.receive({ type: 'reject', runId: request.runId, callId: request.callId, reason: 'not in this folder, please' });
    await run;

    assert.equal(fs.existsSync(target), false, 'a rejected write never reaches the disk');
    const denied = await nextMessage(api, from, 'toolCall', (m) => m.callId === request.callId && m.status === 'denied');
    assert.equal(denied.tool, 'write');
    const finished = await nextMessage(api, from, 'runFinished', (m) => m.runId === request.runId);
    assert.equal(finished.status, 'completed');
    const requests = (await fakeLlmRequests()) as { body?: unknown }[];
    assert.equal(requests.length, 2, 'the run continued after the rejection');
    assert.match(JSON.stringify(requests[1]?.body), /not in this folder, please/, 'the model is told why');
  });

  it('lists a run cut off by a crash as interrupted in the chat history, and Resume continues it', async () => {
    // A run whose process died after asking the model: its log says running, and no lock holder is alive.
    const runId = 'r-20250101-000000-c0ffee';
    const t = Date.now() - 60_000;
    const lines = [
      { seq: 0, time: t, type: 'run_started', payload: { run_id: runId, agent: 'writer', prompt: 'count to three', config_hash: 'before-the-crash', depth: 0, chain: [] } },
      { seq: 1, time: t + 5, type: 'llm_call_started', payload: { turn: 0, provider: 'openai', model: 'gpt-4o-mini' } },
    ];
    fs.mkdirSync(api.storage.workspace, { recursive: true });
    fs.writeFileSync(path.join(api.storage.workspace, `${runId}.jsonl`), lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    await enqueueFakeAnswers([{ kind: 'reply', text: 'one two three' }], 'openai');
    const from = api.chatMessages.length;
    await api.chat.receive({ type: 'listRuns' });
    const listed = messagesOf(api.chatMessages.slice(from), 'runs').at(-1)?.runs.find((r) => r.runId === runId);
    assert.equal(listed?.status, 'interrupted', 'offered for resume in the history');
    await api.chat.receive({ type: 'resumeRun', runId });
    const finished = messagesOf(api.chatMessages.slice(from), 'runFinished').find((m) => m.runId === runId && m.status !== 'interrupted');
    assert.equal(finished?.status, 'completed');
    const after = (await (await api.core()).listRuns()).find((r) => r.runId === runId);
    assert.equal(after?.status, 'completed');
  });

  it('a chat question asked while a task runs streams into the chat; the task gets none of it', async () => {
    const taskAnswer = 'the report, streamed slowly by the task step';
    // One queue: the task's step asks first and gets the slow answer, the chat's question the quick one.
    await enqueueFakeAnswers([{ kind: 'reply', text: taskAnswer, tokenDelayMs: 40, chunkSize: 2 }, { kind: 'reply', text: 'the chat answer' }], 'openai');
    // What Run Task… starts, through the same session; its handle feeds the task's progress.
    const task = (await (await api.core()).ready()).runTask('report');
    const taskRuns = new Set<string>();
    let taskText = '';
    task.onEvent(({ runId }) => taskRuns.add(runId));
    task.onText(({ delta }) => (taskText += delta));
    for (let i = 0; i < 200 && taskText === ''; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(taskText.length > 0, 'the task step is streaming');
    const from = api.chatMessages.length;
    await api.chat.receive({ type: 'send', text: 'A quick question', agent: 'writer' });
    const sent = api.chatMessages.slice(from);
    const started = messagesOf(sent, 'runStarted')[0];
    assert.ok(started, `the chat got no runStarted: ${sent.map((m) => m.type).join(', ')}`);
    assert.equal(messagesOf(sent, 'textDelta').filter((d) => d.runId === started.runId).map((d) => d.text).join(''), 'the chat answer');
    assert.equal(messagesOf(sent, 'runFinished').find((f) => f.runId === started.runId)?.status, 'completed');
    assert.ok(messagesOf(sent, 'textDelta').every((d) => d.runId === started.runId), "no task text in the chat");
    const result = await task;
    assert.equal(result.status, 'completed');
    assert.equal(taskText, taskAnswer);
    assert.ok(!taskRuns.has(started.runId), "none of the chat's events in the task's progress");
  });

  it('keeps the API key in SecretStorage and nowhere in settings or the store', async () => {
    assert.equal(await api.secrets.getStoredKey('openai', new URL(fakeLlmUrl()).origin), openaiKey);
    await enqueueFakeAnswers([{ kind: 'reply', text: 'ok' }], 'openai');
    await api.chat.receive({ type: 'send', text: 'ping', agent: 'writer' });
    const requests = (await fakeLlmRequests()) as { headers?: Record<string, string> }[];
    assert.equal(requests[0]?.headers?.authorization, `Bearer ${openaiKey}`, 'the key from SecretStorage is what the provider sent');

    assert.doesNotMatch(JSON.stringify(vscode.workspace.getConfiguration()), new RegExp(openaiKey), 'the key is in a setting');
    const inspectable = ['breakwater', 'openai', 'anthropic'].map((s) => JSON.stringify(vscode.workspace.getConfiguration(s)));
    for (const dump of inspectable) assert.ok(!dump.includes(openaiKey));

    const userDir = path.resolve(api.storage.global, '..', '..');
    const files = [path.join(userDir, 'settings.json'), path.join(workspaceRoot(), '.vscode', 'settings.json'), ...listFiles(workspaceRoot()), ...listFiles(api.storage.workspace)];
    const leaks = files.filter((f) => fs.existsSync(f) && fs.statSync(f).isFile() && fs.readFileSync(f, 'utf8').includes(openaiKey));
    assert.deepEqual(leaks, [], 'files that contain the key');
    assert.ok(files.some((f) => f.endsWith('.jsonl')), 'the run logs were searched too');
  });
});

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile());
}
