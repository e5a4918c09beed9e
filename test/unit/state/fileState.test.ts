import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileState } from '../../../src/core/state/fileState';
import { recordSchema } from '../../../src/core/state/records';
import { emptyModel, StateModel, type ModelData } from '../../../src/core/state/stateModel';
import { must } from '../../fixtures/must';

const WORKER = path.join(__dirname, 'fileStateWorker.ts');
const br = { threshold: 3, openMs: 60_000, probeMaxMs: 1000, enabled: true };

type WorkerResult = { slots: number[]; outcomes: [string, string][]; warnings: string[] };

function worker(args: (string | number)[]): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), WORKER, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as WorkerResult) : reject(new Error(`worker exit ${code}: ${err}`))));
  });
}

describe('FileState: the shared log in the store folder', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-filestate-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('6 processes hammering one store (sealed and replaced hundreds of times meanwhile) never exceed the limit and agree on every outcome', async () => {
    const limit = 500;
    const results = await Promise.all(Array.from({ length: 6 }, () => worker([dir, 150, limit, 600_000, 4 * 1024])));
    const granted = results.flatMap((r) => r.slots);
    // 900 admissions against a limit of 500 in one (ten-minute) window: exactly 500 got a slot, across all processes.
    assert.equal(granted.length, limit);
    assert.deepEqual(results.flatMap((r) => r.warnings), []);
    const gens = fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    const reader = FileState.open({ dir, clock: () => Date.now(), seed: emptyModel });
    const v = reader.view();
    assert.equal(v.breakers['p:x']?.calls, limit, 'every process counted every call');
    assert.ok(Math.abs((v.budget.spent.workspace ?? 0) - 9) < 1e-6, `spent ${v.budget.spent.workspace}: every settle of every process`);
    assert.equal(v.budget.reserved.workspace ?? 0, 0);
    assert.ok(Number(gens.at(-1)!.slice(0, 8)) > 10, `segments were replaced while in use (now ${gens.join(', ')})`);
    // The truth: every segment (none is old enough to be removed yet) folded from the first header, in order, each up
    // to its first seal. Every header must equal that fold, and every process must have got that fold's outcome.
    let model: StateModel | undefined;
    const truth = new Map<string, string>();
    for (const name of gens) {
      const lines = fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean);
      const header = (JSON.parse(must(lines[0], 'lines[0]')) as { model: ModelData }).model;
      if (model === undefined) model = new StateModel(header);
      else assert.deepEqual(header, model.snapshot(), `the header of ${name} is the fold of everything before it`);
      for (const line of lines.slice(1)) {
        const r = recordSchema.parse(JSON.parse(line));
        if (r.k === 'seal') break;
        const applied = model.apply(r);
        if (r.k === 'admit') truth.set(r.id, (applied.outcome as { kind: string }).kind);
      }
    }
    const reported = results.flatMap((r) => r.outcomes);
    assert.equal(reported.length, 900);
    assert.deepEqual(reported.filter(([id, kind]) => truth.get(id) !== kind), [], 'each process got the outcome the log says');
    await reader.close();
  });

  it('a damaged line gives one warning naming the file and line; the records around it still count', async () => {
    const open = () => FileState.open({ dir, clock: () => Date.now(), seed: emptyModel });
    const a = open();
    const c1 = await a.admit({ key: 'p:x', breaker: br });
    await a.finish(c1.claim, { result: 'failure', ms: 1, count: true, rules: br });
    const file = path.join(dir, '00000001.jsonl');
    fs.appendFileSync(file, '{"k":"done", torn\n');
    const c2 = await a.admit({ key: 'p:x', breaker: br });
    await a.finish(c2.claim, { result: 'failure', ms: 1, count: true, rules: br });
    const b = open();
    const warnings: string[] = [...b.warningsSoFar];
    b.onWarning((w) => warnings.push(w));
    assert.equal(b.view().breakers['p:x']?.snap.state, 'closed');
    assert.equal(b.view().breakers['p:x']?.failures, 2);
    b.view();
    assert.equal(warnings.length, 1);
    const line = fs.readFileSync(file, 'utf8').split('\n').indexOf('{"k":"done", torn') + 1;
    assert.match(must(warnings[0], 'warnings[0]'), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} line ${line} is not JSON`));
    await a.close();
    await b.close();
  });

  it('a damaged segment header: one warning, and the state starts clean from a new segment (spending from the seed)', async () => {
    const a = FileState.open({ dir, clock: () => Date.now(), seed: emptyModel });
    const c = await a.admit({ key: 'p:x', breaker: { ...br, threshold: 1 } });
    await a.finish(c.claim, { result: 'failure', ms: 1, count: true, rules: { ...br, threshold: 1 } });
    await a.close();
    fs.writeFileSync(path.join(dir, '00000001.jsonl'), 'garbage\n{"k":"seal"}\n');
    const seeded = emptyModel();
    seeded.budget.spent = { workspace: 1.25 };
    const b = FileState.open({ dir, clock: () => Date.now(), seed: () => seeded });
    assert.equal(b.warningsSoFar.length, 1);
    assert.match(must(b.warningsSoFar[0], 'b.warningsSoFar[0]'), /00000001\.jsonl is damaged \(line 1: not JSON\); starting clean/);
    assert.equal(b.view().breakers['p:x'], undefined, 'the open breaker was in the damaged part');
    assert.equal(b.view().budget.spent.workspace, 1.25);
    assert.ok(fs.existsSync(path.join(dir, '00000002.jsonl')));
    await b.close();
  });

  it('a process that fell behind after its segment was removed joins the newest one; old segments are removed', async () => {
    const slow = FileState.open({ dir, clock: () => Date.now(), seed: emptyModel, maxSegmentBytes: 1 << 30 });
    const busy = FileState.open({ dir, clock: () => Date.now(), seed: emptyModel, maxSegmentBytes: 2048, keepSegmentsForMs: 0 });
    for (let i = 0; i < 60; i++) {
      const c = await busy.admit({ key: 'p:y', breaker: br });
      await busy.finish(c.claim, { result: 'success', ms: 1, count: true, rules: br });
    }
    const c = await slow.admit({ key: 'p:y', breaker: br });
    assert.equal(c.kind, 'granted');
    await slow.finish(c.claim, { result: 'success', ms: 1, count: true, rules: br });
    assert.equal(busy.view().breakers['p:y']?.calls, 61);
    assert.equal(slow.view().breakers['p:y']?.calls, 61);
    const left = fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
    assert.ok(left.length <= 4 && Number(left.at(-1)!.slice(0, 8)) > 5, `old segments are removed (${left.join(', ')})`);
    await slow.close();
    await busy.close();
  });
});
