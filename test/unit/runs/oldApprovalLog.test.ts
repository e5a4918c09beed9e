import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { terminalApprover } from '../../../src/cli/terminalApprover';
import { fold } from '../../../src/core/runs/fold';
import { parseRunEvent, type RunEvent } from '../../../src/core/runs/events';
import { undoRun } from '../../../src/core/runs/undo';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { RunEventMapper } from '../../../src/extension/chat/runEventMapper';
import { parseHostMessage } from '../../../src/protocol/messages';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { runCliInProcess } from '../cli/runCliInProcess';

/**
 * A run log written by Breakwater 0.1 (before approvals were data: each tool stored its own approval
 * record), paused on six calls: write (a new file), edit, bash, http_request, ssh and a secret read.
 * The fixture was made by that version's CLI against the fake LLM; its workspace path is a
 * placeholder filled in here. Today's code must list it, show its cards and prompt, run the calls
 * it approves, refuse the ones it denies, finish the run and undo it.
 */
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'oldRunLogs', 'approvals-v0.1');
const RUN = 'r-20261202-080705-321533';
const USER_CONFIG = `settings:\n  max_retries: 0\nservers:\n  box: { host: 127.0.0.1, port: 1, user: deploy }\nagents:\n  dev:\n    provider: anthropic\n    tools: [read, write, edit, bash, http_request, ssh, grep]\n    servers: [box]\n`;

/** Copies the fixture into a fresh store, with its workspace path pointing at a fresh workspace. */
function install(): { ws: string; store: string; userFile: string } {
  const ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-oldlog-')));
  const store = path.join(ws, '..', `${path.basename(ws)}-store`);
  const fill = (text: string) => text.split('__WORKSPACE__').join(ws);
  fs.mkdirSync(path.join(store, 'backups', RUN), { recursive: true });
  fs.writeFileSync(path.join(store, `${RUN}.jsonl`), fill(fs.readFileSync(path.join(FIXTURE, `${RUN}.jsonl`), 'utf8')));
  for (const f of fs.readdirSync(path.join(FIXTURE, 'backups', RUN))) fs.writeFileSync(path.join(store, 'backups', RUN, f), fill(fs.readFileSync(path.join(FIXTURE, 'backups', RUN, f), 'utf8')));
  fs.writeFileSync(path.join(ws, 'notes.md'), 'old line\n');
  fs.writeFileSync(path.join(ws, '.env'), 'TOKEN=not-a-real-one\n');
  const userFile = path.join(store, 'user-agents.yaml');
  fs.writeFileSync(userFile, USER_CONFIG);
  return { ws, store, userFile };
}

function readLog(store: string): RunEvent[] {
  return fs
    .readFileSync(path.join(store, `${RUN}.jsonl`), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line, i) => {
      const r = parseRunEvent(JSON.parse(line));
      if (!r.ok) throw new Error(`line ${i + 1}: ${r.error}`);
      return r.event;
    });
}

describe('a run log written before approvals were data (0.1)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let env: { ws: string; store: string; userFile: string };
  beforeEach(() => (env = install()));
  afterEach(() => {
    fs.rmSync(env.ws, { recursive: true, force: true });
    fs.rmSync(env.store, { recursive: true, force: true });
  });
  const cli = (...args: string[]) =>
    runCliInProcess([...args, '--store', env.store, '--json'], env.ws, { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, BREAKWATER_USER_CONFIG: env.userFile, PATH: process.env.PATH, HOME: os.tmpdir() });

  it("replays: every call's old approval record reads as today's view, for the card and the run state", () => {
    const events = readLog(env.store);
    const state = fold(events);
    assert.equal(state.status, 'waiting_on_human');
    assert.deepEqual(state.pendingApprovals.map((p) => p.callId), ['w1', 'e1', 'b1', 'h1', 's1', 'r1']);
    const views = Object.fromEntries(state.toolCalls.map((c) => [c.id, c.prepared?.approval]));
    assert.deepEqual(views.w1?.fields, [{ label: 'Create', value: path.join(env.ws, 'src', 'new.ts') }]);
    assert.deepEqual({ before: views.w1?.change?.before, after: views.w1?.change?.after, isNew: views.w1?.change?.isNew }, { before: null, after: 'export const x = 1;\n', isNew: true });
    assert.deepEqual(views.e1?.fields, [{ label: 'Edit', value: path.join(env.ws, 'notes.md') }]);
    assert.deepEqual(views.b1?.command, { text: 'echo ran >> bash.log && ls', steps: ['echo ran >> bash.log', 'ls'] });
    assert.deepEqual(views.b1?.fields, [{ label: 'In', value: env.ws }]);
    assert.deepEqual(views.h1?.fields, [{ label: 'Request', value: 'POST http://127.0.0.1:9/status' }, { label: 'Host', value: '127.0.0.1 (127.0.0.1)' }]);
    assert.deepEqual(views.s1?.fields, [{ label: 'Server', value: 'box (deploy@127.0.0.1:1)' }]);
    assert.deepEqual(views.r1, { tool: 'read', fields: [{ label: 'Path', value: path.join(env.ws, '.env') }] });

    // The chat reopening it: six valid cards, View Diff has the contents.
    const mapper = new RunEventMapper(RUN);
    const messages = events.flatMap((e) => mapper.map(e, true));
    for (const m of messages) assert.equal(parseHostMessage(m).ok, true, JSON.stringify(m));
    const cards = messages.filter((m) => m.type === 'approvalRequest');
    assert.equal(cards.length, 6);
    assert.deepEqual(mapper.contentFor('e1'), { path: path.join(env.ws, 'notes.md'), currentContent: 'old line\n', proposedContent: 'new line\n' });
  });

  it('the terminal prompt shows an old call as it shows a new one', async () => {
    const state = fold(readLog(env.store));
    const call = state.toolCalls.find((c) => c.id === 'b1');
    const request = call?.prepared?.approval;
    assert.ok(request !== undefined);
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const answer = terminalApprover(input, output)({ runId: RUN, agent: 'dev', callId: 'b1', tool: 'bash', summary: 'bash: echo ran >> bash.log && ls', kind: 'ask', reason: 'r', mayHaveRun: false, request }, new AbortController().signal);
    input.end('d\na\n');
    assert.deepEqual(await answer, { kind: 'grant', by: 'user', always: true });
    assert.match(shown, /\[a\]lways/);
    assert.match(shown, /\$ echo ran >> bash\.log && ls/);
    assert.match(shown, new RegExp(`In: ${env.ws.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('resumes: the approved old calls run, the denied ones do not, the run completes and undoes', async () => {
    const listed = await cli('--runs');
    assert.equal(listed.code, 0, listed.err);
    assert.equal(listed.json<{ runs: { run_id: string; status: string }[] }>().runs.find((r) => r.run_id === RUN)?.status, 'waiting_on_human');

    for (const id of ['w1', 'e1', 'b1']) {
      const r = await cli('--approve', RUN, '--call', id);
      assert.equal(r.code, 3, `${id}: ${r.err}`);
    }
    assert.equal(fs.readFileSync(path.join(env.ws, 'src', 'new.ts'), 'utf8'), 'export const x = 1;\n');
    assert.equal(fs.readFileSync(path.join(env.ws, 'notes.md'), 'utf8'), 'new line\n');
    assert.equal(fs.readFileSync(path.join(env.ws, 'bash.log'), 'utf8'), 'ran\n');

    llm.enqueue({ kind: 'reply', text: 'done' });
    const denied = await cli('--deny', RUN, '--reason', 'not these');
    assert.equal(denied.code, 0, denied.err);
    const run = denied.json<{ status: string; output: string; tool_calls: { id: string; status: string }[] }>();
    assert.equal(run.status, 'completed');
    assert.deepEqual(Object.fromEntries(run.tool_calls.map((c) => [c.id, c.status])), { w1: 'ok', e1: 'ok', b1: 'ok', h1: 'denied', s1: 'denied', r1: 'denied' });
    // The model got the three results and the three refusals.
    const sent = JSON.stringify(llm.requests.at(-1)?.body);
    assert.match(sent, /Wrote src\/new\.ts/);
    assert.match(sent, /not these/);

    const undone = undoRun(new StoreLayout(env.store), RUN);
    assert.deepEqual(undone.files.map((f) => [path.relative(env.ws, f.path), f.outcome]).sort(), [['notes.md', 'restored'], ['src/new.ts', 'deleted']]);
    assert.equal(fs.readFileSync(path.join(env.ws, 'notes.md'), 'utf8'), 'old line\n');
    assert.equal(fs.existsSync(path.join(env.ws, 'src', 'new.ts')), false);
  });
});
