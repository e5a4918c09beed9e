import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sinon from 'sinon';
import { statusRuns, STATUS_RECENT_RUNS } from '../../../src/core/agents/statusReport';
import { replayRunLog, RunLogWriter } from '../../../src/core/runs/runLog';
import { fold } from '../../../src/core/runs/fold';
import { RunIndex } from '../../../src/core/runs/runIndex';
import { RunStore } from '../../../src/core/runs/runStore';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { fixtureRunId, runEvents, writeRunFile, type FixtureEnd } from './runFixtures';
import { must } from '../../fixtures/must';

const ENDS: FixtureEnd[] = ['completed', 'running', 'waiting', 'failed', 'transient', 'cancelled'];
/** The status each fixture end is listed with (a `running` log without a live writer is interrupted). */
const LISTED: Record<FixtureEnd, string> = { completed: 'completed', running: 'interrupted', waiting: 'waiting_on_human', failed: 'failed', transient: 'interrupted', cancelled: 'interrupted' };

function store(): { root: string; layout: StoreLayout } {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-index-')), 'runs');
  fs.mkdirSync(root, { recursive: true });
  return { root, layout: new StoreLayout(root) };
}

/** Counts opens of run logs (`*.jsonl` under `root`; every read opens) while `fn` runs; spies on the real fs, replaces nothing. */
function logReads<T>(root: string, fn: () => T): { value: T; reads: number } {
  const opens = sinon.spy(nodeFs, 'openSync');
  try {
    const value = fn();
    const isLog = (p: unknown) => typeof p === 'string' && p.startsWith(root) && p.endsWith('.jsonl');
    return { value, reads: opens.getCalls().filter((c) => isLog(c.args[0])).length };
  } finally {
    opens.restore();
  }
}

describe('run index: --runs and status without replaying every log', function () {
  this.timeout(60_000);

  it('2,000 runs: listed with the right statuses; a new process lists them again without reading a single log', () => {
    const { root, layout } = store();
    const N = 2000;
    for (let i = 0; i < N; i++) writeRunFile(root, fixtureRunId(i), runEvents(fixtureRunId(i), must(ENDS[i % ENDS.length], 'ENDS[i % ENDS.length]')), 1_763_700_000_000 + i * 1000);
    const first = new RunStore(layout);
    const cold = logReads(root, () => first.list());
    assert.equal(cold.value.length, N);
    assert.equal(cold.reads, N, 'a cold index reads each log once');
    for (const r of cold.value) {
      const i = Number.parseInt(r.runId.slice(-6), 16);
      assert.equal(r.status, LISTED[must(ENDS[i % ENDS.length], 'ENDS[i % ENDS.length]')], r.runId);
    }
    first.index.flush();

    const second = new RunStore(layout);
    const warm = logReads(root, () => second.list());
    assert.equal(warm.reads, 0, 'a warm index is revalidated by stat, not by reading');
    assert.deepEqual(warm.value.map((r) => [r.runId, r.status, r.costUsd, r.pendingApprovals]), cold.value.map((r) => [r.runId, r.status, r.costUsd, r.pendingApprovals]));

    const { runs, run_counts } = statusRuns(warm.value);
    assert.equal(run_counts.total, N);
    assert.equal(run_counts.completed + run_counts.failed + run_counts.interrupted + run_counts.waiting_on_human, N);
    assert.equal(run_counts.interrupted, Math.round((N * 3) / 6));
    assert.ok(runs.length <= 50, `status pages: ${runs.length} rows, not ${N}`);
    assert.ok(runs.every((r) => r.status !== 'completed' && r.status !== 'failed'), 'open runs fill the page first');
  });

  it('status shows the most recent finished runs when few need attention', () => {
    const { root, layout } = store();
    for (let i = 0; i < 40; i++) writeRunFile(root, fixtureRunId(i), runEvents(fixtureRunId(i), i === 3 ? 'waiting' : 'completed'), 1_763_700_000_000 + i * 1000);
    const { runs } = statusRuns(new RunStore(layout).list());
    assert.equal(runs.length, STATUS_RECENT_RUNS);
    assert.ok(runs.some((r) => r.run_id === fixtureRunId(3)), 'the old waiting run is shown');
    assert.equal(must(runs[0], 'runs[0]').run_id, fixtureRunId(39), 'newest first');
  });

  it('a log that grew is read from where its row stopped; one rewritten is read again; a deleted one disappears', async () => {
    const { root, layout } = store();
    const id = fixtureRunId(1);
    const file = writeRunFile(root, id, runEvents(id, 'waiting'));
    const s = new RunStore(layout);
    assert.equal(s.summary(id)?.status, 'waiting_on_human');
    // Another process continues it.
    const w = RunLogWriter.open(file, id);
    w.append('run_resumed', { pid: 1 });
    w.append('approval_granted', { call_id: 'c1', by: 'user' });
    w.append('tool_call_started', { call_id: 'c1', idempotency_key: 'c1' });
    w.append('tool_call_completed', { call_id: 'c1', output: 'ok' });
    w.append('run_completed', { output: 'done' });
    await w.close();
    const fresh = new RunStore(layout); // another process, whose index is the file
    s.index.flush();
    const grown = logReads(root, () => fresh.summary(id));
    assert.equal(grown.value?.status, 'completed');
    assert.equal(grown.reads, 1, 'only the appended bytes are read (one open, no full replay)');
    assert.equal(grown.value?.pendingApprovals, 0);
    assert.equal(grown.value?.events, fold(replayRunLog(file).events).lastSeq + 1);
    // Rewritten (same size, different content and mtime) → read again.
    writeRunFile(root, id, runEvents(id, 'completed'));
    assert.equal(new RunStore(layout).summary(id)?.status, 'completed');
    fs.rmSync(file);
    assert.equal(fresh.list().length, 0);
    assert.equal(fresh.summary(id), undefined);
  });

  it('a missing, corrupt or foreign index file is rebuilt from the logs, never trusted over them', () => {
    const { root, layout } = store();
    for (let i = 0; i < 6; i++) writeRunFile(root, fixtureRunId(i), runEvents(fixtureRunId(i), must(ENDS[i], 'ENDS[i]')));
    const expected = new RunStore(layout).list().map((r) => [r.runId, r.status]);
    for (const content of ['{"version":1,"runs":{"r-20250101-000000-000000":{"size":"x"}}', 'garbage', '{"version":99,"runs":{}}', '']) {
      fs.mkdirSync(path.dirname(layout.runIndex), { recursive: true });
      fs.writeFileSync(layout.runIndex, content);
      assert.deepEqual(new RunStore(layout).list().map((r) => [r.runId, r.status]), expected, `index file ${JSON.stringify(content)}`);
    }
    // A row whose log changed since the row was written is not used.
    const idx = new RunIndex({ root, file: layout.runIndex });
    idx.list();
    idx.flush();
    writeRunFile(root, fixtureRunId(2), runEvents(fixtureRunId(2), 'completed'));
    assert.equal(new RunStore(layout).summary(fixtureRunId(2))?.status, 'completed');
  });

  it('a damaged log is listed with its file:line error and the status of its good part (never dropped)', () => {
    const { root, layout } = store();
    const id = fixtureRunId(7);
    const file = writeRunFile(root, id, runEvents(id, 'completed'));
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    lines[6] = '{"seq":6,"time":1,"type":"approval_granted","payload":{"call_id":"c1","by":"nobody"}}';
    fs.writeFileSync(file, lines.join('\n'));
    const empty = fixtureRunId(8);
    fs.writeFileSync(path.join(root, `${empty}.jsonl`), '');
    const rows = new RunStore(layout).list();
    const bad = rows.find((r) => r.runId === id);
    assert.ok(bad?.status === 'damaged', JSON.stringify(bad));
    assert.equal(bad.damage.line, 7);
    assert.equal(bad.damage.file, file);
    assert.match(bad.error, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: payload.by`));
    assert.equal(bad.before, 'running');
    assert.equal(bad.agent, 'dev');
    const blank = rows.find((r) => r.runId === empty);
    assert.ok(blank?.status === 'damaged' && /empty/.test(blank.damage.detail));
  });

  it('a rewrite after one log grew is the index a rebuild from the logs writes (rows of unchanged runs reused, the changed one fresh)', async () => {
    const { root, layout } = store();
    const ids = [1, 2, 3].map(fixtureRunId);
    const files = ids.map((id) => writeRunFile(root, id, runEvents(id, 'waiting')));
    const s = new RunStore(layout);
    s.list();
    s.index.flush();
    const w = RunLogWriter.open(files[1]!, ids[1]!);
    w.append('run_resumed', { pid: 1 });
    w.append('approval_granted', { call_id: 'c1', by: 'user' });
    await w.close();
    assert.equal(s.summary(ids[1]!)?.pendingApprovals, 0);
    s.list();
    s.index.flush();
    const rewritten = JSON.parse(fs.readFileSync(layout.runIndex, 'utf8')) as unknown;
    fs.rmSync(layout.runIndex);
    const rebuilt = new RunStore(layout);
    rebuilt.list();
    rebuilt.index.flush();
    assert.deepEqual(rewritten, JSON.parse(fs.readFileSync(layout.runIndex, 'utf8')));
  });

  it('a long-lived process writes the changed index from its timer off the calling thread, the same as flush() would', async () => {
    const { root, layout } = store();
    for (const i of [1, 2, 3]) writeRunFile(root, fixtureRunId(i), runEvents(fixtureRunId(i), 'completed'));
    const writeSync = sinon.spy(nodeFs, 'writeFileSync');
    const renameSync = sinon.spy(nodeFs, 'renameSync');
    try {
      const s = new RunStore(layout);
      s.list();
      assert.equal(fs.existsSync(layout.runIndex), false, 'written later, by the timer');
      for (let i = 0; i < 300 && !fs.existsSync(layout.runIndex); i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(fs.existsSync(layout.runIndex), 'the timer wrote the index');
      const onIndex = (c: sinon.SinonSpyCall) => String(c.args[0]).startsWith(layout.runIndex);
      assert.equal(writeSync.getCalls().filter(onIndex).length + renameSync.getCalls().filter(onIndex).length, 0, 'no synchronous write or rename of the index');
      const background = fs.readFileSync(layout.runIndex, 'utf8');
      fs.rmSync(layout.runIndex);
      const again = new RunStore(layout);
      again.list();
      again.index.flush();
      assert.equal(background, fs.readFileSync(layout.runIndex, 'utf8'));
    } finally {
      sinon.restore();
    }
  });

  it('a run whose log says running is running only while a process holds its lock', async () => {
    const { root, layout } = store();
    const id = fixtureRunId(4);
    const file = writeRunFile(root, id, runEvents(id, 'running'));
    const s = new RunStore(layout);
    assert.equal(s.summary(id)?.status, 'interrupted');
    const crashed = s.summary(id);
    assert.ok(crashed?.status === 'interrupted' && crashed.interruption.kind === 'crashed');
    const w = RunLogWriter.open(file, id);
    assert.equal(s.summary(id)?.status, 'running');
    assert.equal(s.state(id).status, 'running');
    await w.close();
    assert.equal(s.summary(id)?.status, 'interrupted');
    assert.equal(s.state(id).status, 'interrupted');
  });

  it('the summary agrees with the full fold on every fixture ending', () => {
    const { root, layout } = store();
    const s = new RunStore(layout);
    ENDS.forEach((end, i) => {
      const id = fixtureRunId(100 + i);
      writeRunFile(root, id, runEvents(id, end));
      const state = s.state(id);
      const row = s.summary(id);
      assert.equal(row?.status, state.status, end);
      assert.equal(row?.costUsd, state.costUsd, end);
      assert.equal(row?.pendingApprovals, state.pendingApprovals.length, end);
      assert.equal(row?.error, state.error, end);
    });
  });

  it('a log the index validated is replayed without validating it again, but any change to it is validated in full', async () => {
    const { root, layout } = store();
    const id = fixtureRunId(9);
    const file = writeRunFile(root, id, runEvents(id, 'completed'));
    const first = new RunStore(layout);
    assert.equal(first.summary(id)?.status, 'completed');
    first.index.flush();
    const expected = replayRunLog(file).events;
    const fresh = new RunStore(layout);
    const st = fs.statSync(file);
    assert.equal(fresh.index.validatedBytes(id, st), st.size, 'the row vouches for the whole file as it is');
    const w = fresh.openWriter(id);
    assert.deepEqual(w.all, expected);
    await w.close();
    // The same bytes count, but one event made invalid: the row no longer matches, the line is caught.
    const text = fs.readFileSync(file, 'utf8').replace('"by":"user"', '"by":"nobo"');
    assert.notEqual(text, fs.readFileSync(file, 'utf8'));
    assert.equal(Buffer.byteLength(text), st.size);
    const edited = writeRunFile(root, id, []);
    fs.writeFileSync(edited, text);
    fs.utimesSync(edited, st.atime, new Date(st.mtimeMs + 5_000));
    const again = new RunStore(layout);
    assert.equal(again.index.validatedBytes(id, fs.statSync(file)), 0);
    assert.throws(() => again.openWriter(id), /invalid run event/);
  });
});
