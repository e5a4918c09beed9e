import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { eventsOf, makeWorkspace, onlyRunId, runCliProcess } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * kill -9 at chosen points of a real CLI process (BREAKWATER_TEST_CRASH_AT, see src/cli/crashHook.ts),
 * then a NEW process resumes. Nothing recorded is lost, no side effect happens twice, and nothing
 * waiting for approval runs by itself.
 */
const AGENTS = `
agents:
  dev:
    role: You change files.
    provider: anthropic
    model: sonnet
    tools: [read, write, edit, bash]
`;

describe('crash tests: SIGKILL the CLI, resume in a new process', function () {
  this.timeout(120_000);
  const llm = useFakeLlm();

  const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, ...extra });
  const appendCall = { kind: 'reply' as const, toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'echo one >> lines.txt' } }] };
  const lines = (ws: string) => (fs.existsSync(path.join(ws, 'lines.txt')) ? fs.readFileSync(path.join(ws, 'lines.txt'), 'utf8').split('\n').filter(Boolean) : []);
  const assertNoGaps = (ws: string, runId: string) => {
    const events = eventsOf(ws, runId);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i));
    return events;
  };

  it('killed after the approval is recorded, before the tool starts: the resume runs it exactly once', async () => {
    const ws = makeWorkspace(AGENTS);
    llm.enqueue(appendCall, { kind: 'reply', text: 'appended' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'append', '--yes', '--json'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'approval_granted' }) });
    assert.equal(first.signal, 'SIGKILL', first.stderr);
    const runId = onlyRunId(ws);
    const before = assertNoGaps(ws, runId);
    assert.equal(before.at(-1)?.type, 'approval_granted');
    assert.deepEqual(lines(ws), []);
    const resumed = await runCliProcess(['--resume', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json<{ status: string }>().status, 'completed');
    assert.deepEqual(lines(ws), ['one']);
    const after = assertNoGaps(ws, runId);
    assert.deepEqual(after.slice(0, before.length), before, 'no recorded event lost or changed');
  });

  it('killed after a bash call starts: not repeated by itself; asked again, run once when approved', async () => {
    const ws = makeWorkspace(AGENTS);
    llm.enqueue(appendCall, { kind: 'reply', text: 'appended' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'append', '--yes'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'tool_call_started' }) });
    assert.equal(first.signal, 'SIGKILL');
    const runId = onlyRunId(ws);
    // --yes must not cover a call that may already have run.
    const resumed = await runCliProcess(['--resume', runId, '--json', '--yes'], { cwd: ws, env: env() });
    assert.equal(resumed.code, 3, resumed.stderr);
    const json = resumed.json<{ status: string; pending_approvals: { call_id: string }[] }>();
    assert.equal(json.status, 'waiting_on_human');
    assert.deepEqual(json.pending_approvals.map((p) => p.call_id), ['c1']);
    assert.match(resumed.stderr, /may already have run/);
    assert.deepEqual(lines(ws), []);
    const approved = await runCliProcess(['--approve', runId, '--call', 'c1', '--json'], { cwd: ws, env: env() });
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(lines(ws), ['one']);
    assertNoGaps(ws, runId);
  });

  it('killed after a bash call ran but before its completion was fully written: denying the re-run leaves one line', async () => {
    const ws = makeWorkspace(AGENTS);
    llm.enqueue(appendCall, { kind: 'reply', text: 'ok' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'append', '--yes'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'mid:tool_call_completed' }) });
    assert.equal(first.signal, 'SIGKILL');
    assert.deepEqual(lines(ws), ['one']);
    const runId = onlyRunId(ws);
    const waiting = await runCliProcess(['--resume', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(waiting.code, 3, waiting.stderr);
    assert.match(waiting.stderr, /torn|may already have run/);
    const denied = await runCliProcess(['--deny', runId, '--call', 'c1', '--reason', 'it already ran', '--json'], { cwd: ws, env: env() });
    assert.equal(denied.code, 0, denied.stderr);
    assert.equal(must(denied.json<{ tool_calls: { status: string }[] }>().tool_calls[0], 'the first tool call of the denied run').status, 'denied');
    assert.deepEqual(lines(ws), ['one']);
    assertNoGaps(ws, runId);
  });

  it('killed mid-append after an edit was applied: the resume sees the file hash and applies it once', async () => {
    const ws = makeWorkspace(AGENTS, { 'conf.txt': 'x=1\n' });
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'e1', name: 'edit', args: { path: 'conf.txt', old_string: 'x=1', new_string: 'x=1\ny=2' } }] }, { kind: 'reply', text: 'edited' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'edit', '--yes'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'mid:tool_call_completed' }) });
    assert.equal(first.signal, 'SIGKILL');
    const runId = onlyRunId(ws);
    const resumed = await runCliProcess(['--resume', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(fs.readFileSync(path.join(ws, 'conf.txt'), 'utf8'), 'x=1\ny=2\n');
    const events = assertNoGaps(ws, runId);
    const done = events.find((e) => e.type === 'tool_call_completed');
    assert.ok(done?.type === 'tool_call_completed' && done.payload.recovered === true);
  });

  it('killed after an approval was requested: resumes never run the pending call by themselves', async () => {
    const ws = makeWorkspace(AGENTS);
    llm.enqueue(appendCall, { kind: 'reply', text: 'appended' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'append'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'approval_requested' }) });
    assert.equal(first.signal, 'SIGKILL');
    const runId = onlyRunId(ws);
    for (let i = 0; i < 2; i++) {
      const r = await runCliProcess(['--resume', runId, '--json'], { cwd: ws, env: env() });
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.json<{ pending_approvals: { call_id: string }[] }>().pending_approvals.map((p) => p.call_id), ['c1']);
    }
    assert.deepEqual(lines(ws), []);
    const approved = await runCliProcess(['--approve', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(approved.code, 0, approved.stderr);
    assert.deepEqual(lines(ws), ['one']);
  });

  it('killed mid-append of the approval request: the torn line is tolerated and the approval asked again', async () => {
    const ws = makeWorkspace(AGENTS);
    llm.enqueue(appendCall, { kind: 'reply', text: 'appended' });
    const first = await runCliProcess(['--agent', 'dev', '--prompt', 'append'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: 'mid:approval_requested' }) });
    assert.equal(first.signal, 'SIGKILL');
    const runId = onlyRunId(ws);
    const r = await runCliProcess(['--resume', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.json<{ pending_approvals: { call_id: string }[] }>().pending_approvals.map((p) => p.call_id), ['c1']);
    assertNoGaps(ws, runId);
    assert.deepEqual(lines(ws), []);
  });
});
