import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nodeFs from 'node:fs';
import sinon from 'sinon';
import { fold } from '../../../src/core/runs/fold';
import { replayRunLog, replayText, RunLogWriter } from '../../../src/core/runs/runLog';
import { isRunLockedError, isRunLogConflictError, isRunLogCorruptError } from '../../../src/core/runs/runLogErrors';
import { must } from '../../fixtures/must';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'bw-runs-'));
}

async function writeSampleRun(file: string): Promise<void> {
  let t = 1_700_000_000_000;
  const w = RunLogWriter.open(file, 'r-1', { clock: () => t++ });
  w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
  w.append('llm_call_started', { turn: 0, provider: 'anthropic', model: 'm' });
  w.append('llm_call_completed', { turn: 0, provider: 'anthropic', model: 'm', usage: { input_tokens: 10, output_tokens: 5, cache_read_tokens: 1, cache_creation_tokens: 0 }, cost_usd: 0.01, attempts: 1, stop_reason: 'tool_use' });
  w.append('assistant_message', { turn: 0, text: 'reading', tool_calls: [{ id: 'c1', name: 'read', args: { path: 'x' } }] });
  w.append('tool_call_requested', { call_id: 'c1', tool: 'read', args: { path: 'x' } });
  w.append('tool_call_completed', { call_id: 'c1', output: 'content' });
  w.append('run_completed', { output: 'done ✓ with ünïcode' });
  await w.close();
}

describe('run log', () => {
  it('appends validated events with sequence numbers and replays them', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const { events, tornTail } = replayRunLog(file);
    assert.equal(tornTail, undefined);
    assert.deepEqual(events.map((e) => e.seq), [0, 1, 2, 3, 4, 5, 6]);
    const s = fold(events);
    assert.equal(s.status, 'completed');
    assert.equal(s.output, 'done ✓ with ünïcode');
    assert.equal(s.usage.input_tokens, 10);
    assert.equal(must(s.toolCalls[0], 's.toolCalls[0]').status, 'ok');
    assert.deepEqual(s.messages.map((m) => m.role), ['user', 'assistant', 'tool']);
  });

  it('refuses to write an invalid event', () => {
    const dir = tmp();
    const w = RunLogWriter.open(path.join(dir, 'r.jsonl'), 'r-1');
    try {
      assert.throws(() => w.append('run_completed', { output: 42 as unknown as string }));
      assert.equal(w.all.length, 0);
    } finally {
      w.dispose();
    }
  });

  it('tolerates a torn last line at every byte offset of the last event', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const full = fs.readFileSync(file);
    const lastStart = full.subarray(0, full.length - 1).lastIndexOf(10) + 1;
    const complete = replayText(file, full).events;
    for (let cut = lastStart; cut < full.length; cut++) {
      const r = replayText(file, full.subarray(0, cut));
      assert.equal(r.events.length, complete.length - 1, `cut at ${cut}`);
      assert.equal(r.tornTail === undefined, cut === lastStart, `cut at ${cut}`);
      assert.equal(fold(r.events).status, 'running');
    }
  });

  it('a writer opening a torn log cuts the fragment and continues the sequence', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const full = fs.readFileSync(file);
    fs.writeFileSync(file, full.subarray(0, full.length - 10));
    const w = RunLogWriter.open(file, 'r-1');
    assert.equal(w.repairedTail?.line, 7);
    w.append('run_failed', { error: 'x' });
    await w.close();
    const { events, tornTail } = replayRunLog(file);
    assert.equal(tornTail, undefined);
    assert.equal(must(events[6], 'events[6]').type, 'run_failed');
    assert.equal(must(events[6], 'events[6]').seq, 6);
  });

  it('names the file and line of an invalid event in the middle', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[2] = '{"seq":2,"time":1,"type":"nope","payload":{}}';
    fs.writeFileSync(file, lines.join('\n'));
    assert.throws(() => replayRunLog(file), (e: unknown) => isRunLogCorruptError(e) && e.line === 3 && e.message.includes(file));
  });

  it('allows one writer per run and takes over a stale lock', () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    const w = RunLogWriter.open(file, 'r-1');
    assert.throws(() => RunLogWriter.open(file, 'r-1'), isRunLockedError);
    w.dispose();
    // A lock left by a dead process: pid 2^22+ is above Linux's pid_max default.
    fs.writeFileSync(`${file}.lock`, '4194999');
    const w2 = RunLogWriter.open(file, 'r-1');
    w2.dispose();
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  it('fold is pure and deterministic', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const { events } = replayRunLog(file);
    const snapshot = JSON.stringify(events);
    const a = fold(events);
    const b = fold(structuredClone(events));
    assert.deepEqual(a, b);
    assert.equal(JSON.stringify(events), snapshot, 'fold must not mutate its input');
  });

  it('a new log exists only with its first event in it (a kill before that leaves no run at all)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    let atMid: boolean | undefined;
    const w = RunLogWriter.open(file, 'r-1', { onDurable: (e, stage) => (stage === 'mid' && e.seq === 0 ? (atMid = fs.existsSync(file)) : undefined) });
    assert.equal(fs.existsSync(file), false, 'opening a writer creates nothing');
    w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
    await w.durable();
    assert.equal(atMid, false, 'the log is linked into place with its first line already written');
    assert.equal(replayRunLog(file).events.length, 1);
    await w.close();
    assert.deepEqual(fs.readdirSync(dir), ['r.jsonl'], 'no temp file or lock left behind');
  });

  it('stops (and writes nothing) when the log grew behind its back', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const w = RunLogWriter.open(file, 'r-1');
    const before = fs.readFileSync(file);
    // A second writer that got past the lock (or a hand edit) appends a line.
    fs.appendFileSync(file, `${JSON.stringify({ seq: 7, time: 1, type: 'run_resumed', payload: {} })}\n`);
    const grown = fs.readFileSync(file);
    w.append('run_resumed', { pid: 1 });
    await assert.rejects(w.durable(), (e: unknown) => isRunLogConflictError(e) && /bytes where this writer left/.test(e.message));
    assert.deepEqual(fs.readFileSync(file), grown, 'nothing interleaved');
    assert.throws(() => w.append('run_resumed', { pid: 1 }), isRunLogConflictError, 'and stays stopped');
    await assert.rejects(w.close(), isRunLogConflictError, 'closing reports it too');
    assert.equal(fs.existsSync(`${file}.lock`), false, 'and releases the lock');
    assert.ok(grown.length > before.length);
  });

  it('stops when its log was moved or replaced', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const w = RunLogWriter.open(file, 'r-1');
    fs.renameSync(file, `${file}.moved`);
    fs.copyFileSync(`${file}.moved`, file);
    w.append('run_resumed', { pid: 1 });
    await assert.rejects(w.close(), (e: unknown) => isRunLogConflictError(e) && /moved or replaced/.test(e.message));
  });

  it('append does no I/O on the calling thread; one background write and fdatasync cover every event queued meanwhile', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    // Spies on the real module (the writer's `fs` reads through to it); nothing is replaced.
    const sync = (['writeSync', 'fsyncSync', 'fdatasyncSync', 'writeFileSync', 'linkSync', 'openSync', 'fstatSync', 'statSync', 'ftruncateSync'] as const).map((name) => sinon.spy(nodeFs, name));
    const writes = sinon.spy(nodeFs, 'write');
    const syncs = sinon.spy(nodeFs, 'fdatasync');
    try {
      const w = RunLogWriter.open(file, 'r-1');
      sync.forEach((s) => s.resetHistory());
      w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
      for (let i = 0; i < 200; i++) w.append('llm_call_started', { turn: i, provider: 'anthropic', model: 'm' });
      for (const s of sync) assert.equal(s.callCount, 0, `no ${s.name}() on the calling thread`);
      assert.equal(fs.existsSync(file), false, 'nothing written yet: the caller was not held');
      await w.durable();
      assert.equal(replayRunLog(file).events.length, 201, 'durable() resolved with every event in the file');
      assert.ok(writes.callCount <= 2, `one write for the burst, not one per append (${writes.callCount})`);
      assert.ok(syncs.callCount <= 2, `group commit: ${syncs.callCount} fdatasyncs for 201 appends`);
      for (let i = 0; i < 50; i++) w.append('llm_call_started', { turn: 200 + i, provider: 'anthropic', model: 'm' });
      await w.close();
      assert.equal(replayRunLog(file).events.length, 251, 'close() waits for what is queued');
      // The log was created (temp file + link) by the flusher too. (Only this test's files: a timer of another test may write its own.)
      for (const s of sync.filter((x) => ['writeFileSync', 'linkSync'].includes(x.name))) {
        assert.deepEqual(s.getCalls().filter((c) => String(c.args[0]).startsWith(dir)).length, 0, `no ${s.name}() of the log`);
      }
    } finally {
      sinon.restore();
    }
  });

  it('the onDurable hook fires with its event already in the file (the crash tests kill the process there)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    const seen: string[] = [];
    const w = RunLogWriter.open(file, 'r-1', {
      onDurable: (e, stage) => {
        if (stage !== 'after') return;
        const events = replayRunLog(file).events;
        seen.push(`${e.seq}:${events.length}:${events.at(-1)?.type}`);
      },
    });
    w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
    w.append('llm_call_started', { turn: 0, provider: 'anthropic', model: 'm' });
    w.append('run_cancelled', { reason: 'x' });
    await w.close();
    assert.deepEqual(seen, ['0:1:run_started', '1:2:llm_call_started', '2:3:run_cancelled'], 'each event, and nothing after it, is on disk when its hook fires');
  });

  it('dispose() without waiting still writes what was queued, then releases the lock', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    const w = RunLogWriter.open(file, 'r-1');
    w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
    w.dispose();
    assert.throws(() => w.append('run_cancelled', { reason: 'x' }), /is closed/);
    for (let i = 0; i < 200 && fs.existsSync(`${file}.lock`); i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(fs.existsSync(`${file}.lock`), false, 'the lock is released once the queue is written');
    assert.deepEqual(replayRunLog(file).events.map((e) => e.type), ['run_started']);
  });

  it('reads up to the damage when asked, with its line and byte offset', async () => {
    const dir = tmp();
    const file = path.join(dir, 'r.jsonl');
    await writeSampleRun(file);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[4] = '{not json';
    fs.writeFileSync(file, lines.join('\n'));
    const r = replayRunLog(file, { upToDamage: true });
    assert.equal(r.events.length, 4);
    assert.equal(r.damage?.line, 5);
    assert.match(r.damage?.detail ?? '', /not JSON/);
    assert.equal(r.damage?.offset, Buffer.byteLength(lines.slice(0, 4).join('\n')) + 1);
    assert.throws(() => RunLogWriter.open(file, 'r-1'), (e: unknown) => isRunLogCorruptError(e) && e.line === 5);
    assert.equal(fs.existsSync(`${file}.lock`), false, 'a refused open releases the lock');
  });
});
