import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fixedKeys } from '../../../src/core/providers/keyBinding';
import type { ConfigProblem } from '../../../src/extension/coreViews';
import { CoreSession, undoReport } from '../../../src/extension/coreSession';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import type { FakeLlm } from '../../fixtures/fake-llm/index';
import type { Approver } from '../../../src/core/index';

const YAML = [
  'settings: { max_retries: 0 }',
  'agents:',
  '  writer: { provider: anthropic, fallback: { strategy: cache } }',
  '  chat: { provider: openai, model: gpt-4o-mini }',
  'tasks:',
  '  report:',
  '    description: one slow step',
  '    steps:',
  '      - { agent: writer, prompt: write the report }',
  '',
].join('\n');

function sessionFor(llm: FakeLlm, yaml = YAML, extra: { approver?: Approver } = {}) {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-session-')));
  fs.mkdirSync(path.join(dir, 'ws'));
  const configFile = path.join(dir, 'ws', 'agents.yaml');
  fs.writeFileSync(configFile, yaml);
  const store = path.join(dir, 'store');
  const session = new CoreSession({
    options: () => ({
      workspaceFolders: [path.join(dir, 'ws')],
      storeDir: store,
      configFile,
      secrets: fixedKeys([{ provider: 'anthropic', value: 'k', origin: llm.url }, { provider: 'openai', value: 'k', origin: llm.url }]),
      trusted: true,
      ripgrepPath: 'rg',
      env: { ANTHROPIC_BASE_URL: llm.url, OPENAI_BASE_URL: llm.openaiBaseUrl },
      watchConfig: true,
      ...extra,
    }),
  });
  return { session, configFile, store, ws: path.join(dir, 'ws') };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(check(), `timed out waiting for ${what}`);
}

describe('extension: the core session', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let session: CoreSession | undefined;
  afterEach(() => session?.dispose());

  it('a chat question asked while Run Task… runs gets its own events and text; the task gets none of them', async () => {
    ({ session } = sessionFor(llm));
    llm.enqueueFor('anthropic', { kind: 'reply', text: 'the report, streamed slowly by the task step', tokenDelayMs: 30, chunkSize: 2 });
    llm.enqueueFor('openai', { kind: 'reply', text: 'the chat answer' });
    // As the Run Task… command does: the task's handle feeds its progress notification.
    const task = (await session.ready()).runTask('report');
    const progress: { runId: string; type: string }[] = [];
    let taskText = '';
    task.onEvent(({ runId, event }) => progress.push({ runId, type: event.type }));
    task.onText(({ delta }) => (taskText += delta));
    await until(() => taskText.length > 0, 'the task step to stream');
    // As the chat does: its own handle feeds the chat view.
    const chat = (await session.ready()).ask('chat', 'a quick question');
    const chatEvents: { runId: string; type: string }[] = [];
    let chatText = '';
    chat.onEvent(({ runId, event }) => chatEvents.push({ runId, type: event.type }));
    chat.onText(({ delta }) => (chatText += delta));
    const answered = await chat;
    assert.ok(progress.every((e) => e.type !== 'task_completed'), 'the chat answered while the task still ran');
    const result = await task;

    assert.equal(answered.output, 'the chat answer');
    assert.equal(chatText, 'the chat answer', "the chat's text reached the chat");
    assert.deepEqual([...new Set(chatEvents.map((e) => e.runId))], [answered.runId]);
    assert.equal(chatEvents[0]?.type, 'run_started');
    assert.equal(chatEvents.at(-1)?.type, 'run_completed');

    assert.equal(result.status, 'completed');
    assert.equal(taskText, 'the report, streamed slowly by the task step');
    assert.ok(!progress.some((e) => e.runId === answered.runId), "none of the chat's events in the task's progress");
    assert.deepEqual(progress.filter((e) => e.type === 'task_step_started').length, 1);
  });

  it('a failed answer-cache save is a store error: the config stays good and the chat still sends', async () => {
    const s = sessionFor(llm);
    session = s.session;
    const problems: (ConfigProblem | undefined)[] = [];
    const storeErrors: Error[] = [];
    session.onConfigProblem((p) => problems.push(p));
    session.onStoreError((e) => storeErrors.push(e));
    await session.open();
    // The cache file cannot be replaced: a folder stands where it goes.
    fs.mkdirSync(path.join(s.store, 'state', 'answer-cache.json'), { recursive: true });
    llm.enqueueFor('anthropic', { kind: 'reply', text: 'first' }, { kind: 'reply', text: 'second' });
    assert.equal((await (await session.ready()).ask('writer', 'hello')).output, 'first');
    await until(() => storeErrors.length > 0, 'the store error');
    assert.match(storeErrors[0]!.message, /answer-cache\.json/);
    assert.deepEqual(problems, [], 'never reported as a config problem');
    assert.equal((await session.configState()).ok, true);
    assert.equal((await (await session.ready()).ask('writer', 'again')).output, 'second', 'the chat still sends');
  });

  it("config problems come from the core's watcher: an edit made outside VS Code shows, and fixing it clears it", async () => {
    const s = sessionFor(llm);
    session = s.session;
    const problems: (ConfigProblem | undefined)[] = [];
    session.onConfigProblem((p) => problems.push(p));
    await session.open();
    fs.writeFileSync(s.configFile, 'agents:\n  writer: { provider: nowhere }\n');
    await until(() => problems.length === 1, 'the problem');
    assert.equal(problems[0]?.file, s.configFile);
    assert.match(problems[0]?.message ?? '', /provider/);
    assert.equal((await session.configState()).ok, false);
    fs.writeFileSync(s.configFile, YAML);
    await until(() => problems.length === 2, 'the problem to clear');
    assert.equal(problems[1], undefined);
    assert.equal((await session.configState()).ok, true);
  });

  it('a valid edit made outside VS Code is announced as a reload, and the agents it adds are listed', async () => {
    const s = sessionFor(llm);
    session = s.session;
    let reloads = 0;
    session.onConfigReloaded(() => reloads++);
    await session.open();
    fs.writeFileSync(s.configFile, YAML.replace('agents:\n', 'agents:\n  reviewer: { provider: openai, model: gpt-4o-mini }\n'));
    await until(() => reloads >= 1, 'the reload');
    const state = await session.configState();
    assert.ok(state.ok, 'the edited config loads');
    assert.deepEqual(state.agents.map((a) => a.name).sort(), ['chat', 'reviewer', 'writer']);
  });

  it('a config that keeps the core from starting is shown once, and fixing the file outside VS Code starts it', async () => {
    const s = sessionFor(llm, 'agents:\n  writer: { provider: nowhere }\n');
    session = s.session;
    const problems: (ConfigProblem | undefined)[] = [];
    session.onConfigProblem((p) => problems.push(p));
    assert.equal(await session.open(), undefined);
    assert.equal((await session.configState()).ok, false);
    assert.equal((await session.configState()).ok, false);
    assert.equal(problems.length, 1, 'the same problem is reported once');
    await assert.rejects(session.ready(), /provider/);
    fs.writeFileSync(s.configFile, YAML);
    await until(() => problems.length === 2, 'the core to start');
    assert.equal(problems[1], undefined);
    assert.ok(session.current, 'the core exists now');
    assert.equal((await session.configState()).ok, true);
  });

  it('Undo Run reports what the core did per file: a file changed since the run is "not restored", never "done"', async () => {
    const s = sessionFor(llm, 'agents:\n  writer: { provider: anthropic, tools: [write] }\n', { approver: async () => ({ kind: 'grant', by: 'user' }) });
    session = s.session;
    fs.writeFileSync(path.join(s.ws, 'kept.txt'), 'before\n');
    llm.enqueueFor(
      'anthropic',
      { kind: 'reply', toolCalls: [{ name: 'write', args: { path: 'kept.txt', content: 'by the run\n' } }, { name: 'write', args: { path: 'undone.txt', content: 'new\n' } }] },
      { kind: 'reply', text: 'wrote both' },
    );
    const run = await (await session.ready()).ask('writer', 'write two files');
    assert.equal(run.status, 'completed');
    fs.writeFileSync(path.join(s.ws, 'kept.txt'), 'the user edited it afterwards\n');
    const report = undoReport(run.runId, (await session.need()).undo(run.runId));
    assert.match(report, /kept\.txt: not restored — .*changed after the run wrote it/);
    assert.match(report, /undone\.txt: deleted/);
    assert.match(report, /was not fully undone/);
    assert.doesNotMatch(report, /done$/m);
    assert.equal(fs.readFileSync(path.join(s.ws, 'kept.txt'), 'utf8'), 'the user edited it afterwards\n');
  });
});
