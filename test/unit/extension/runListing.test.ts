import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sinon from 'sinon';
import { fold } from '../../../src/core/runs/fold';
import { runEventSchema, type RunEvent } from '../../../src/core/runs/events';
import { CoreSession, toOutcome } from '../../../src/extension/coreSession';
import { fixtureRunId, runEvents, writeRunFile } from '../runs/runFixtures';
import { must } from '../../fixtures/must';

/** Resume Run, the chat history and the tree list runs from the core's run index, with interrupted and damaged runs in it. */
describe('facade: runs as the extension lists and reports them', () => {
  let base: string;
  let store: string;
  let facade: CoreSession;

  beforeEach(async () => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-facade-runs-')));
    store = path.join(base, 'store');
    writeRunFile(store, fixtureRunId(1), runEvents(fixtureRunId(1), 'completed'));
    writeRunFile(store, fixtureRunId(2), runEvents(fixtureRunId(2), 'running'));
    writeRunFile(store, fixtureRunId(3), runEvents(fixtureRunId(3), 'transient'));
    writeRunFile(store, fixtureRunId(4), runEvents(fixtureRunId(4), 'waiting'));
    fs.writeFileSync(path.join(store, `${fixtureRunId(5)}.jsonl`), '{"seq":0,"time":1,"type":"run_started","payload":{"run_id":"x","agent":"dev","prompt":"p","config_hash":"h"}}\n{broken\n');
    facade = new CoreSession({ options: () => ({ workspaceFolders: [base], storeDir: store, configFile: path.join(base, 'none.yaml'), secrets: { getApiKey: async () => ({ kind: 'none' as const }) }, trusted: true, ripgrepPath: 'rg' }) });
  });
  afterEach(() => {
    facade.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('a crashed run and a transiently failed one are interrupted (offered for resume); a damaged one is listed with its error', async () => {
    const runs = await facade.listRuns();
    const byId = new Map(runs.map((r) => [r.runId, r]));
    assert.equal(byId.get(fixtureRunId(1))?.status, 'completed');
    assert.equal(byId.get(fixtureRunId(2))?.status, 'interrupted');
    assert.equal(byId.get(fixtureRunId(3))?.status, 'interrupted');
    assert.equal(byId.get(fixtureRunId(4))?.status, 'waiting_on_human');
    const damaged = byId.get(fixtureRunId(5));
    assert.equal(damaged?.status, 'damaged');
    assert.match(damaged?.error ?? '', /:2: not JSON/);
    assert.equal(byId.get(fixtureRunId(2))?.prompt, `do the thing ${fixtureRunId(2)}`, 'the title comes from the index');
    const snapshot = await facade.status();
    assert.deepEqual(snapshot.runs.map((r) => r.runId).sort(), runs.map((r) => r.runId).sort());
  });

  it('listing again reads no log (the index is revalidated by stat)', async () => {
    await facade.listRuns();
    const opens = sinon.spy(nodeFs, 'openSync');
    try {
      await facade.listRuns();
      await facade.status();
      assert.equal(opens.getCalls().filter((c) => String(c.args[0]).endsWith('.jsonl')).length, 0);
    } finally {
      opens.restore();
    }
  });

  it('the outcome card carries the typed failure kind, never one guessed from the message', () => {
    const events = runEvents('r-1', 'transient').map((e, seq) => runEventSchema.parse({ seq, time: seq, type: e.type, payload: e.payload }) as RunEvent);
    const last = must(events[events.length - 1], 'last');
    assert.ok(last.type === 'run_failed');
    // A message that mentions other kinds must not decide the kind.
    last.payload.error = 'budget? auth? no: the server said overloaded, and the breaker_open word is just text';
    const outcome = toOutcome(fold(events));
    assert.equal(outcome.status, 'interrupted');
    assert.equal(outcome.error?.kind, 'overloaded');
  });
});
