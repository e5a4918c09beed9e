/**
 * The status tree and Restricted Mode inside the real VS Code host. Provider failures come from the fake LLM server
 * (HTTP 500s); the tree must show the breaker open, then half-open once its timeout has passed.
 *
 * Restricted Mode: the host suite runs in one trusted workbench (the harness passes --disable-workspace-trust), so the
 * untrusted case is a second core built here, inside the host, with `trusted: false`, driven through a real
 * ChatController: the chat says which tools are off and a write the model asks for is blocked, never written.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CoreSession } from '../../src/extension/coreSession';
import { ChatController } from '../../src/extension/chat/chatController';
import { DiffContentProvider } from '../../src/extension/diffContentProvider';
import type { BreakwaterTestApi } from '../../src/extension/extension';
import { disabledTools } from '../../src/extension/restrictedTools';
import type { HostMessage, HostMessageOf } from '../../src/protocol/messages';
import { userConfigPath } from '../../src/core/config/userScope';
import { fixedKeys } from '../../src/core/providers/keyBinding';
import { activateBreakwater } from './support/extension';
import { enqueueFakeAnswers, fakeLlmUrl, resetFakeLlm } from './support/fakeLlm';
import { must } from '../fixtures/must';

const breakerTimeoutSeconds = 2;

function agentsYaml(): string {
  return [
    'settings:',
    '  default_provider: anthropic',
    '  max_retries: 0',
    '  retry_delay: 0',
    '  circuit_breaker_threshold: 2',
    `  circuit_breaker_timeout: ${breakerTimeoutSeconds}`,
    // The endpoints come from the user scope the harness writes (BREAKWATER_USER_CONFIG): the fake LLM server.
    'agents:',
    '  flaky: { provider: anthropic, model: sonnet, tools: [read] }',
    '  writer: { provider: openai, model: gpt-4o-mini, tools: [read, write, edit, bash] }',
  ].join('\n') + '\n';
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Status tree and Restricted Mode in the real VS Code host', function () {
  this.timeout(60_000);
  let api: BreakwaterTestApi;

  before(async () => {
    api = (await activateBreakwater()).exports as BreakwaterTestApi;
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(root);
    fs.mkdirSync(path.join(root, '.breakwater'), { recursive: true });
    fs.writeFileSync(path.join(root, '.breakwater', 'agents.yaml'), agentsYaml());
    // Keys for the fake server's origin: a key is sent only to the origin it was given for.
    await api.secrets.setApiKey('anthropic', 'sk-ant-host-test', new URL(fakeLlmUrl()).origin);
    await api.secrets.setApiKey('openai', 'sk-openai-host-test', new URL(fakeLlmUrl()).origin);
    const core = await api.core();
    await core.reloadConfig();
    const state = await core.configState();
    assert.ok(state.ok && state.agents.some((a) => a.name === 'flaky'), 'the test config loaded');
  });

  beforeEach(() => resetFakeLlm());

  it('shows the provider breaker open after injected 500s, and half-open after its timeout', async () => {
    await enqueueFakeAnswers(
      [
        { kind: 'http_error', status: 500, message: 'injected failure 1' },
        { kind: 'http_error', status: 500, message: 'injected failure 2' },
      ],
      'anthropic',
    );
    const from = api.chatMessages.length;
    for (let i = 0; i < 2; i++) await api.chat.receive({ type: 'send', text: `attempt ${i + 1}`, agent: 'flaky' });
    const failures = api.chatMessages.slice(from).filter((m): m is HostMessageOf<'runFinished'> => m.type === 'runFinished');
    // A 500 is transient: the run is interrupted (resumable), not failed for good.
    assert.deepEqual(failures.map((f) => f.status), ['interrupted', 'interrupted']);
    assert.ok(failures.every((f) => f.error && f.error.actions.includes('retry') && f.error.actions.includes('resume')), 'a provider failure offers Resume and Retry');

    const open = await until('the tree to show the anthropic breaker open', () => api.tree.current?.providers.find((p) => p.name.includes('anthropic') && p.state === 'open'));
    assert.ok(open.failures >= 2);
    assert.ok(open.retryAt !== undefined && open.retryAt > Date.now() - 1000, 'an open breaker says when it probes next');
    const items = await treeLabels(api);
    assert.ok(items.some((i) => /anthropic/.test(i.label) && i.icon === 'error'), `the tree row shows the open icon: ${JSON.stringify(items)}`);

    // Nothing is called: the tree refreshes itself at the probe time (no polling, no event needed).
    const halfOpen = await until('the tree to show half-open', () => api.tree.current?.providers.find((p) => p.name.includes('anthropic') && p.state === 'half_open'), (breakerTimeoutSeconds + 5) * 1000);
    assert.equal(halfOpen.name, open.name);
    const after = await treeLabels(api);
    assert.ok(after.some((i) => /anthropic/.test(i.label) && i.icon === 'debug-pause'), `the tree row shows the half-open icon: ${JSON.stringify(after)}`);
  });

  it('Restricted Mode (a core created with trusted: false): the chat lists the tools that are off and a write is blocked', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-untrusted-'));
    const workspace = path.join(dir, 'workspace');
    fs.mkdirSync(workspace, { recursive: true });
    const configFile = path.join(dir, 'agents.yaml');
    fs.writeFileSync(configFile, agentsYaml());
    const log = vscode.window.createOutputChannel('Breakwater (untrusted test)', { log: true });
    const diffs = new DiffContentProvider();
    const chatRef: { current?: ChatController } = {};
    const core = new CoreSession({ options: () => ({
      workspaceFolders: [workspace],
      storeDir: path.join(dir, 'store'),
      configFile,
      userConfigFile: userConfigPath(process.env),
      secrets: fixedKeys([{ provider: 'openai', value: 'sk-openai-host-test', origin: fakeLlmUrl() }]),
      trusted: false,
      ripgrepPath: 'rg',
      approver: (prompt, signal) => chatRef.current!.requestApproval(prompt, signal),
    }) });
    const chat = new ChatController({ session: core, log, diffs, trusted: () => false, disabledTools: () => disabledTools(false), now: Date.now });
    chatRef.current = chat;
    const sent: HostMessage[] = [];
    const sub = chat.onDidPost((m) => sent.push(m));
    try {
      await chat.receive({ type: 'ready' });
      const init = sent.find((m): m is HostMessageOf<'init'> => m.type === 'init');
      assert.ok(init);
      assert.equal(init.trusted, false);
      const off = init.disabledTools.map((t) => t.tool);
      for (const tool of ['write', 'edit', 'bash']) assert.ok(off.includes(tool), `${tool} is listed as off: ${off.join(', ')}`);
      for (const tool of ['read', 'grep']) assert.ok(!off.includes(tool), `${tool} stays on`);
      assert.match(must(init.disabledTools[0], 'init.disabledTools[0]').reason, /Restricted Mode/);

      await enqueueFakeAnswers(
        [
          { kind: 'reply', toolCalls: [{ id: 'call_untrusted', name: 'write', args: { path: 'evil.txt', content: 'x' } }] },
          { kind: 'reply', text: 'I cannot write here.' },
        ],
        'openai',
      );
      await chat.receive({ type: 'send', text: 'write evil.txt', agent: 'writer' });
      assert.equal(fs.existsSync(path.join(workspace, 'evil.txt')), false, 'nothing is written in Restricted Mode');
      assert.ok(!sent.some((m) => m.type === 'approvalRequest'), 'a blocked call is never offered for approval');
      const blocked = sent.filter((m): m is HostMessageOf<'toolCall'> => m.type === 'toolCall' && m.callId === 'call_untrusted').pop();
      assert.ok(blocked, `no tool card for the write: ${sent.map((m) => m.type).join(', ')}`);
      assert.equal(blocked.status, 'blocked');
      assert.match(blocked.result ?? '', /Restricted Mode/);
    } finally {
      sub.dispose();
      chat.dispose();
      core.dispose();
      diffs.dispose();
      log.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports how long activation took', () => {
    assert.equal(typeof api.activationMs, 'number');
    assert.ok(api.activationMs > 0 && Number.isFinite(api.activationMs));
  });

  it('activation leaves the core bundle (zod, the SDKs, the tool engine) for first use', () => {
    assert.equal(api.coreBundleLoadedByActivation, false, 'activate() required dist/extensionCore.js');
  });
});

/** Every breaker row the tree shows: label and icon id, read through the TreeDataProvider VS Code calls. */
async function treeLabels(api: BreakwaterTestApi): Promise<{ label: string; icon: string | undefined }[]> {
  const out: { label: string; icon: string | undefined }[] = [];
  for (const section of api.tree.getChildren() ?? []) {
    for (const node of api.tree.getChildren(section) ?? []) {
      const item = api.tree.getTreeItem(node);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      out.push({ label, icon: item.iconPath instanceof vscode.ThemeIcon ? item.iconPath.id : undefined });
    }
  }
  return out;
}
