import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { replayRunLog } from '../../src/core/runs/runLog';
import { fold } from '../../src/core/runs/fold';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { makeWorkspace, runBuiltCli, startBuiltCli, type CliRun } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * One writer per run, with real processes: after a kill -9 leaves a stale lock, two or four
 * `--resume`/`--approve`/`--deny` processes start together, reach the lock at the same moment
 * (BREAKWATER_TEST_LOCK_START_AT) and pause between its steps (BREAKWATER_TEST_LOCK_PAUSE) to widen
 * every race window. Over many trials: never two
 * writers, never the side effect twice (a `bash` call appending to a file; requests at the fake
 * server), never a corrupted log, and the run always ends completed.
 */
const TRIALS = Number(process.env.BW_RACE_TRIALS ?? '50');
const PAUSE_MS = '40';
/** Time for the raced processes to load before they all reach the lock at once (a late one just goes on). */
const startBarrierMs = (n: number) => 300 + 100 * n;

const AGENTS = `
agents:
  dev:
    role: You run commands.
    provider: anthropic
    model: sonnet
    tools: [bash]
`;

/** The command lines raced in a trial; `RUN` is replaced by the run id. */
const MIXES: Record<2 | 4, string[][][]> = {
  2: [
    [['--approve', 'RUN'], ['--approve', 'RUN']],
    [['--approve', 'RUN'], ['--resume', 'RUN', '--yes']],
    [['--approve', 'RUN', '--call', 'c1'], ['--deny', 'RUN', '--call', 'c1']],
  ],
  4: [
    [['--approve', 'RUN'], ['--approve', 'RUN'], ['--resume', 'RUN', '--yes'], ['--resume', 'RUN', '--yes']],
    [['--approve', 'RUN'], ['--deny', 'RUN'], ['--resume', 'RUN', '--yes'], ['--approve', 'RUN', '--call', 'c1']],
  ],
};

describe('lock races: 2 and 4 processes continue one run after a kill -9', function () {
  this.timeout(900_000);
  const llm = useFakeLlm();
  // The store lives in the workspace (BREAKWATER_STORE), so copying the workspace copies the paused run with it.
  const storeOf = (ws: string) => path.join(ws, 'store');
  const env = (ws: string, extra: Record<string, string> = {}) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, BREAKWATER_STORE: storeOf(ws), ...extra });
  let template: string;
  let runId: string;

  before(async () => {
    // A run paused on its bash call, then a `--resume` killed right after it took the lock and
    // wrote run_resumed: the lock it left names a dead process, and the call is still pending.
    template = makeWorkspace(AGENTS);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'echo ran >> effects.txt' } }] });
    const paused = await runBuiltCli(['--agent', 'dev', '--prompt', 'append a line'], { cwd: template, env: env(template) });
    assert.equal(paused.code, 3, paused.stderr);
    const logs = fs.readdirSync(storeOf(template)).filter((n) => n.endsWith('.jsonl'));
    assert.equal(logs.length, 1, logs.join(', '));
    runId = must(logs[0], 'logs[0]').slice(0, -'.jsonl'.length);
    const killed = await runBuiltCli(['--resume', runId], { cwd: template, env: env(template, { BREAKWATER_TEST_CRASH_AT: 'run_resumed' }) });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    assert.ok(fs.existsSync(path.join(storeOf(template), `${runId}.jsonl.lock`)), 'the killed process left its lock');
  });

  const trial = async (mix: string[][]) => {
    const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-race-'));
    fs.cpSync(template, ws, { recursive: true });
    llm.reset();
    llm.setDefault({ kind: 'reply', text: 'done' });
    const race = { BREAKWATER_TEST_LOCK_PAUSE: PAUSE_MS, BREAKWATER_TEST_LOCK_START_AT: String(Date.now() + startBarrierMs(mix.length)) };
    const started = mix.map((args) => startBuiltCli(args.map((a) => (a === 'RUN' ? runId : a)), { cwd: ws, env: env(ws, race) }));
    const results: CliRun[] = await Promise.all(started.map((s) => s.done));
    const report = () => results.map((r, i) => `${must(mix[i], 'mix[i]').join(' ')} → exit ${r.code}${r.signal ? ` ${r.signal}` : ''}\n${r.stderr}`).join('\n---\n');

    for (const r of results) {
      assert.ok(r.code === 0 || r.code === 1 || r.code === 2, `unexpected exit:\n${report()}`);
      if (r.code === 1) assert.match(r.stderr, /being continued by another process/, report());
      if (r.code === 2) assert.match(r.stderr, /has no pending (approvals|call)/, report());
      assert.doesNotMatch(r.stderr, /changed under its writer|internal error/, `a second writer got past the lock:\n${report()}`);
    }
    assert.ok(results.some((r) => r.code === 0), `someone finished the run:\n${report()}`);

    // The log: every line valid, sequence unbroken, no torn tail, and the run completed.
    const log = replayRunLog(path.join(storeOf(ws), `${runId}.jsonl`));
    assert.equal(log.tornTail, undefined);
    const state = fold(log.events);
    assert.equal(state.status, 'completed', report());
    const starts = log.events.filter((e) => e.type === 'tool_call_started').length;
    const effects = fs.existsSync(path.join(ws, 'effects.txt')) ? fs.readFileSync(path.join(ws, 'effects.txt'), 'utf8').split('\n').filter(Boolean).length : 0;
    const call = must(state.toolCalls[0], 'call');
    // The call either ran once (approved) or never (denied first); the log says which, and agrees with the file.
    assert.ok(starts <= 1 && effects === starts, `bash started ${starts} times, ran ${effects} times:\n${report()}`);
    assert.equal(call.status, effects === 1 ? 'ok' : 'denied', report());
    // One model call finishes the run, whoever wins: a loser never calls the model.
    assert.equal(llm.requests.length, 1, `requests at the fake server:\n${report()}`);
    fs.rmSync(ws, { recursive: true, force: true });
  };

  for (const n of [2, 4] as const) {
    it(`${n} processes at once, ${TRIALS} trials`, async () => {
      const mixes = MIXES[n];
      for (let i = 0; i < TRIALS; i++) await trial(must(mixes[i % mixes.length], `mix ${i % mixes.length} of ${n}`));
    });
  }
});
