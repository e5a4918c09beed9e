import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved, spread } from '../harness';
import { loadProductionModule } from '../support/productionBundle';
import { fixtureRunId, runEvents, syntheticRunEvents, writeRunFile, writeRunLogFixture, type FixtureEnd } from '../support/runLogFixture';

type RunsModule = typeof import('./../support/runsEntry');

const repoRoot = path.resolve(__dirname, '..', '..');
const cliJs = path.join(repoRoot, 'dist', 'cli.js');
const RUNS = 2000;
const LONG_RUN_EVENTS = 20_000;
const SAMPLES = quick() ? 5 : 15;
const ENDS: FixtureEnd[] = ['completed', 'completed', 'completed', 'failed', 'waiting', 'transient', 'running', 'cancelled'];

/** Wall-clock ms of one CLI process (node start-up and the bundle's load included). */
function cliMs(args: string[], cwd: string, env: Record<string, string> = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cliJs, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: os.tmpdir(), ...env }, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const expectKill = env.BREAKWATER_TEST_CRASH_AT !== undefined;
  if (expectKill ? r.signal !== 'SIGKILL' : r.status !== 0) throw new Error(`breakwater ${args.join(' ')} exited ${r.status ?? r.signal}: ${r.stderr}`);
  return ms;
}

/**
 * The run index at scale: `--runs --json` and `--status --json` with 2,000 runs on disk against the
 * same commands on an empty store (the difference is the core's time for the runs: bar ≤ 20 ms), the
 * same in process (`listRuns()`, `status()`), and the one-time rebuild of a missing index. Then
 * `--resume` of a 20,000-event run: the time to its first new event, in process (bar ≤ 200 ms) and as
 * a process (against the same CLI start-up on an empty store), and once for a log the index never saw.
 */
export const suite: BenchSuite = {
  name: 'runs',
  async run(): Promise<BenchResult[]> {
    if (!fs.existsSync(cliJs)) throw new Error('dist/cli.js is missing: run node esbuild.js --production (npm run bench does)');
    const m = await loadProductionModule<RunsModule>('bench/support/runsEntry.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-runs-'));
    try {
      const many = path.join(dir, 'many');
      const none = path.join(dir, 'none');
      fs.mkdirSync(none, { recursive: true });
      for (let i = 0; i < RUNS; i++) writeRunFile(path.join(many, 'store'), fixtureRunId(i), runEvents(fixtureRunId(i), ENDS[i % ENDS.length] ?? 'completed'), 1_763_700_000_000 + i * 1000);
      const open = (ws: string) => m.createBreakwater({ workspaceFolders: [ws], storeDir: path.join(ws, 'store'), configFile: path.join(ws, 'none.yaml'), secrets: { getApiKey: async () => ({ kind: 'none' }) }, trusted: true, ripgrepPath: 'rg' });

      // The first listing builds the index from the logs (once); the figures below are with it in place.
      const cold = [] as number[];
      for (let i = 0; i < (quick() ? 1 : 3); i++) {
        fs.rmSync(path.join(many, 'store', 'state'), { recursive: true, force: true });
        const t0 = process.hrtime.bigint();
        cliMs(['--runs', '--json', '--workspace', many, '--store', path.join(many, 'store')], many);
        cold.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const args = (ws: string, mode: string) => [mode, '--json', '--workspace', ws, '--store', path.join(ws, 'store')];
      const proc = await sampleInterleaved(
        {
          runsMany: async () => cliMs(args(many, '--runs'), many),
          runsNone: async () => cliMs(args(none, '--runs'), none),
          statusMany: async () => cliMs(args(many, '--status'), many),
          statusNone: async () => cliMs(args(none, '--status'), none),
        },
        SAMPLES,
      );
      // The core's own time in a fresh process (the CLI's situation): the first listRuns()/status() call,
      // which loads the index and stats every log before the JIT has warmed up.
      const probe = path.join(dir, 'probe.js');
      fs.writeFileSync(
        probe,
        `const m = require(${JSON.stringify(path.join(repoRoot, 'out', 'bench', 'bench_support_runsEntry.js'))});
(async () => {
  const ws = process.argv[2];
  const bw = await m.createBreakwater({ workspaceFolders: [ws], storeDir: ws + '/store', configFile: ws + '/none.yaml', secrets: { getApiKey: async () => ({ kind: 'none' }) }, trusted: true, ripgrepPath: 'rg' });
  const t0 = process.hrtime.bigint();
  const n = process.argv[3] === 'status' ? bw.status().runs.length : bw.listRuns().length;
  process.stdout.write(String(Number(process.hrtime.bigint() - t0) / 1e6));
  bw.dispose();
})();`,
      );
      const firstCall = (ws: string, what: string) => async () => {
        // A probe that fails (a syntax error in it, a core that does not open) must not read as 0 ms.
        const r = spawnSync(process.execPath, [probe, ws, what], { encoding: 'utf8' });
        const ms = Number(r.stdout);
        if (r.status !== 0 || r.stdout.trim() === '' || !Number.isFinite(ms)) throw new Error(`the fresh-process probe failed (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
        return ms;
      };
      const fresh = await sampleInterleaved({ list: firstCall(many, 'list'), status: firstCall(many, 'status'), listNone: firstCall(none, 'list') }, SAMPLES);
      const manyCore = await open(many);
      const noneCore = await open(none);
      const inProc = await sampleInterleaved(
        {
          list: async () => time(() => manyCore.listRuns().length === RUNS || fail('listRuns')),
          status: async () => time(() => manyCore.status().run_counts.total === RUNS || fail('status')),
          statusNone: async () => time(() => noneCore.status()),
        },
        SAMPLES * 2,
      );
      manyCore.dispose();
      noneCore.dispose();

      // A 20,000-event run cut short mid-way (its writer died): --resume continues it.
      const long = path.join(dir, 'long');
      fs.mkdirSync(path.join(long, 'store'), { recursive: true });
      fs.writeFileSync(path.join(long, 'agents.yaml'), 'agents:\n  dev: { provider: anthropic, tools: [edit] }\n');
      const runId = 'r-20250101-000000-abcdef';
      const events = syntheticRunEvents(LONG_RUN_EVENTS, runId).slice(0, -1);
      const logFile = path.join(long, 'store', `${runId}.jsonl`);
      const pristine = () => writeRunLogFixture(logFile, events, (v) => m.runEventSchema.parse(v));
      const longArgs = ['--workspace', long, '--store', path.join(long, 'store')];
      /** The log as its writer left it: written and indexed (a writer notes its progress in the index every second). */
      const crashedRun = () => {
        pristine();
        cliMs(['--runs', ...longArgs], long);
      };
      pristine();
      const resumeFirstEvent = async (): Promise<number> => {
        crashedRun();
        const bw = await m.createBreakwater({ workspaceFolders: [long], storeDir: path.join(long, 'store'), configFile: path.join(long, 'agents.yaml'), secrets: { getApiKey: async () => ({ kind: 'none' }) }, trusted: true, ripgrepPath: 'rg', gateway: { call: (_t, _r, o) => new Promise((_, reject) => o.signal.addEventListener('abort', () => reject(o.signal.reason as Error))) } });
        const ctl = new AbortController();
        let first = 0;
        const t0 = process.hrtime.bigint();
        const resumed = bw.resume(runId, { signal: ctl.signal });
        resumed.onEvent(() => {
          if (first === 0) first = Number(process.hrtime.bigint() - t0) / 1e6;
          ctl.abort(new Error('bench done'));
        });
        await resumed;
        bw.dispose();
        if (first === 0) throw new Error('the resume wrote no event');
        return first;
      };
      const bareParse = async (): Promise<number> => time(() => fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown).length);
      const resume = await sampleInterleaved({ resume: resumeFirstEvent, parse: bareParse }, quick() ? 3 : 9);
      const resumeCli = () => cliMs(['--resume', runId, ...longArgs], long, { BREAKWATER_TEST_CRASH_AT: 'run_resumed', ANTHROPIC_API_KEY: 'unused' });
      const resumeProc = await sampleInterleaved(
        {
          // The process kills itself right after writing its first new event (run_resumed).
          resume: async () => {
            crashedRun();
            return resumeCli();
          },
          // A log this store's index has never seen (copied in from elsewhere): validated in full once.
          unindexed: async () => {
            pristine();
            fs.rmSync(path.join(long, 'store', 'state'), { recursive: true, force: true });
            return resumeCli();
          },
          startup: async () => cliMs(args(none, '--runs'), none),
        },
        quick() ? 3 : 9,
      );
      const mib = (fs.statSync(logFile).size / 1024 / 1024).toFixed(1);

      return [
        { name: `runs: --runs --json, ${RUNS} runs on disk`, unit: 'ms', figure: proc.runsMany, baseline: { name: '--runs --json, empty store', figure: proc.runsNone }, bar: { on: 'added', max: 20, unit: 'ms' }, note: 'whole CLI process; the difference is the core time for the runs (index present)' },
        { name: `runs: --status --json, ${RUNS} runs on disk`, unit: 'ms', figure: proc.statusMany, baseline: { name: '--status --json, empty store', figure: proc.statusNone }, bar: { on: 'added', max: 20, unit: 'ms' }, note: 'whole CLI process; status pages the runs and counts them' },
        { name: `runs: listRuns(), ${RUNS} runs (in process)`, unit: 'ms', figure: inProc.list, bar: { on: 'figure', max: 20, unit: 'ms' }, note: 'revalidates every log by stat; no log read' },
        { name: `runs: first listRuns() in a fresh process, ${RUNS} runs`, unit: 'ms', figure: fresh.list, baseline: { name: 'the same, empty store', figure: fresh.listNone }, bar: { on: 'added', max: 20, unit: 'ms' }, note: 'loads the index (0.8 MB) and stats every log with a cold JIT' },
        { name: `runs: first status() in a fresh process, ${RUNS} runs`, unit: 'ms', figure: fresh.status, baseline: { name: 'first listRuns(), empty store', figure: fresh.listNone }, bar: { on: 'added', max: 20, unit: 'ms' } },
        { name: `runs: status(), ${RUNS} runs (in process)`, unit: 'ms', figure: inProc.status, baseline: { name: 'status(), empty store', figure: inProc.statusNone }, bar: { on: 'added', max: 20, unit: 'ms' } },
        { name: `runs: --runs with no index yet (rebuilt from ${RUNS} logs, once)`, unit: 'ms', figure: spread(cold), baseline: { name: '--runs --json, index present', figure: proc.runsMany }, note: 'a missing or stale index is rebuilt from the logs, then kept' },
        { name: `runs: --resume of a ${LONG_RUN_EVENTS}-event run, to its first new event (in process)`, unit: 'ms', figure: resume.resume, baseline: { name: 'bare JSON.parse of its lines', figure: resume.parse }, bar: { on: 'figure', max: 200, unit: 'ms' }, note: `${mib} MiB log, read and validated once, folded once` },
        { name: `runs: --resume of a ${LONG_RUN_EVENTS}-event run, to its first new event (process)`, unit: 'ms', figure: resumeProc.resume, baseline: { name: 'CLI start-up (--runs, empty store)', figure: resumeProc.startup }, bar: { on: 'added', max: 200, unit: 'ms' }, note: 'killed by the test hook right after run_resumed is written; the log read once, not validated again' },
        { name: `runs: --resume of a ${LONG_RUN_EVENTS}-event run the index never saw (process)`, unit: 'ms', figure: resumeProc.unindexed, baseline: { name: 'CLI start-up (--runs, empty store)', figure: resumeProc.startup }, note: 'a log from elsewhere: read and validated in full once' },
      ];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

function time(fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function fail(what: string): never {
  throw new Error(`${what} returned the wrong number of runs`);
}
