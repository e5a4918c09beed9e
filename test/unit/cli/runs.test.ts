import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import nodeFs from 'node:fs';
import sinon from 'sinon';
import { replayRunLog } from '../../../src/core/runs/runLog';
import { testStoreOf } from '../../fixtures/stateHome';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { runCliInProcess } from './runCliInProcess';
import { must } from '../../fixtures/must';

/**
 * The CLI's side of the run layer: a transient failure exits 1 with `resumable: true` and
 * `--resume` finishes it; a damaged log is listed with its file:line error and `--resume` says how
 * to get out (`--repair` to continue up to the damage, `--archive` to put it aside), and both work.
 */
const ONE = `settings:\n  max_retries: 0\nagents:\n  dev:\n    provider: anthropic\n    tools: [read]\n`;

interface RunRow {
  run_id: string;
  status: string;
  resumable: boolean;
  failure_kind?: string;
  error?: string;
  damage?: { file: string; line: number; detail: string };
}

function workspace(): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-cliruns-')));
  fs.mkdirSync(path.join(dir, '.breakwater'));
  fs.writeFileSync(path.join(dir, '.breakwater', 'agents.yaml'), ONE);
  return dir;
}

describe('CLI: interrupted and damaged runs', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  const cli = (args: string[], cwd: string) => runCliInProcess(args, cwd, { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, PATH: process.env.PATH });
  const logOf = (ws: string, runId: string) => path.join(testStoreOf(ws), `${runId}.jsonl`);

  it('a transient provider failure exits 1, resumable; --runs shows it interrupted; --resume finishes the same conversation', async () => {
    const ws = workspace();
    llm.enqueue({ kind: 'http_error', status: 529 }, { kind: 'reply', text: 'back again' });
    const failed = await cli(['--agent', 'dev', '--prompt', 'hello', '--json'], ws);
    assert.equal(failed.code, 1, failed.err);
    const json = failed.json();
    assert.deepEqual([json.status, json.resumable, json.failure_kind, json.interruption], ['failed', true, 'overloaded', 'failure']);
    const row = must((await cli(['--runs', '--json'], ws)).json<{ runs: RunRow[] }>().runs[0], 'row');
    assert.deepEqual([row.run_id, row.status, row.resumable, row.failure_kind], [json.run_id, 'interrupted', true, 'overloaded']);
    const human = await cli(['--runs'], ws);
    assert.match(human.out, new RegExp(`interrupted .*\\n\\s+overloaded: .* → --resume ${json.run_id}`));
    const resumed = await cli(['--resume', json.run_id, '--json'], ws);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.json().output, 'back again');
    assert.deepEqual(must(llm.requests[1], 'llm.requests[1]').body, must(llm.requests[0], 'llm.requests[0]').body, 'the resume sent the conversation from the log');
  });

  it('--resume reads the run\'s log once (it used to replay it 8 times)', async () => {
    const ws = workspace();
    llm.enqueue({ kind: 'http_error', status: 529 }, { kind: 'reply', text: 'back' });
    const runId = (await cli(['--agent', 'dev', '--prompt', 'hello', '--json'], ws)).json().run_id as string;
    const file = logOf(ws, runId);
    const reads = sinon.spy(nodeFs, 'readFileSync');
    const opens = sinon.spy(nodeFs, 'openSync');
    try {
      const resumed = await cli(['--resume', runId, '--json'], ws);
      assert.equal(resumed.code, 0, resumed.err);
      const whole = reads.getCalls().filter((c) => c.args[0] === file).length;
      // readFileSync opens the file itself: the opens beyond those are the index's partial reads.
      const partial = opens.getCalls().filter((c) => c.args[0] === file && c.args[1] === 'r').length - whole;
      assert.equal(whole + partial, 1, `reads of the log: ${whole} whole, ${partial} partial`);
    } finally {
      reads.restore();
      opens.restore();
    }
  });

  it('a damaged log: listed with file:line, --resume names the ways out, --repair keeps what is good, --resume finishes', async () => {
    const ws = workspace();
    fs.writeFileSync(path.join(ws, 'x.txt'), 'hello\n');
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'read', args: { path: 'x.txt' } }] }, { kind: 'reply', text: 'read it' });
    const done = await cli(['--agent', 'dev', '--prompt', 'read x', '--json'], ws);
    assert.equal(done.code, 0, done.err);
    const runId = done.json().run_id as string;
    const file = logOf(ws, runId);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const badLine = lines.findIndex((l) => l.includes('"tool_call_completed"')) + 1;
    lines[badLine - 1] = must(lines[badLine - 1], 'lines[badLine - 1]').slice(0, 30);
    fs.writeFileSync(file, lines.join('\n'));

    const listed = (await cli(['--runs', '--json'], ws)).json<{ runs: RunRow[] }>().runs;
    assert.equal(listed.length, 1, 'the damaged run is still listed');
    assert.equal(must(listed[0], 'listed[0]').status, 'damaged');
    assert.deepEqual([must(listed[0], 'listed[0]').damage?.file, must(listed[0], 'listed[0]').damage?.line], [file, badLine]);
    assert.match((await cli(['--runs'], ws)).out, new RegExp(`${runId}  damaged[\\s\\S]*:${badLine}: not JSON[\\s\\S]*--repair ${runId}`));

    const refused = await cli(['--resume', runId], ws);
    assert.equal(refused.code, 1);
    assert.match(refused.err, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${badLine}: invalid run event`));
    assert.match(refused.err, new RegExp(`--repair ${runId}`));
    assert.match(refused.err, new RegExp(`--archive ${runId}`));
    assert.doesNotMatch(refused.err, /no run/);

    const repaired = await cli(['--repair', runId, '--json'], ws);
    assert.equal(repaired.code, 0, repaired.err);
    const r = repaired.json();
    assert.equal(r.line, badLine);
    assert.ok(fs.readFileSync(r.saved_to, 'utf8').startsWith(must(lines[badLine - 1], 'lines[badLine - 1]')), 'the bad tail is saved aside');
    assert.equal(replayRunLog(file).events.length, badLine - 1);
    assert.equal(must((await cli(['--runs', '--json'], ws)).json<{ runs: RunRow[] }>().runs[0], `(await cli(['--runs', '--json'], ws)).json<{ runs: RunRow[] `).status, 'interrupted');
    // The read (cut off with its result) is safe to run again; then the model is asked for the answer again.
    llm.enqueue({ kind: 'reply', text: 'read it' });
    const resumed = await cli(['--resume', runId, '--json'], ws);
    assert.equal(resumed.code, 0, resumed.err);
    assert.equal(resumed.json().output, 'read it');
  });

  it('--archive puts a run out of the listings (its log kept under archive/); --repair of a sound log refuses', async () => {
    const ws = workspace();
    llm.enqueue({ kind: 'reply', text: 'hi' });
    const runId = (await cli(['--agent', 'dev', '--prompt', 'hi', '--json'], ws)).json().run_id as string;
    const sound = await cli(['--repair', runId], ws);
    assert.equal(sound.code, 1);
    assert.match(sound.err, /has no damaged line/);
    const archived = await cli(['--archive', runId, '--json'], ws);
    assert.equal(archived.code, 0, archived.err);
    assert.ok(fs.existsSync(archived.json().moved_to));
    assert.deepEqual((await cli(['--runs', '--json'], ws)).json<{ runs: RunRow[] }>().runs, []);
    const gone = await cli(['--resume', runId], ws);
    assert.equal(gone.code, 2);
    assert.match(gone.err, /no run/);
  });
});
