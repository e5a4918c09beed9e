import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';
import { loadProductionModule } from '../support/productionBundle';
import { syntheticRunEvents, writeRunLogFixture } from '../support/runLogFixture';

type RunLogModule = typeof import('./../support/runlogEntry');

const REPLAY_EVENTS = 10_000;
const REPLAY_SAMPLES = quick() ? 7 : 21;
/** fsync'd appends per sample; each sample is one fresh log (as a run is). */
const APPENDS_PER_SAMPLE = quick() ? 100 : 300;
const APPEND_SAMPLES = quick() ? 5 : 9;

/**
 * Replay (read + validate every line with zod + fold into run state) of a 10 000-event log against a
 * bare `JSON.parse` of the same lines, and durable (fsync'd) appends per second against plain
 * `fs.appendFileSync` without fsync.
 */
export const suite: BenchSuite = {
  name: 'runlog',
  async run(): Promise<BenchResult[]> {
    const m = await loadProductionModule<RunLogModule>('bench/support/runlogEntry.ts');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-runlog-'));
    try {
      const file = path.join(dir, 'replay.jsonl');
      const events = syntheticRunEvents(REPLAY_EVENTS);
      writeRunLogFixture(file, events, (v) => m.runEventSchema.parse(v));
      const bytes = fs.statSync(file).size;
      let folded = 0;
      const timeMs = (fn: () => void) => async (): Promise<number> => {
        const t0 = process.hrtime.bigint();
        fn();
        return Number(process.hrtime.bigint() - t0) / 1e6;
      };
      const replay = await sampleInterleaved(
        {
          replay: timeMs(() => {
            const r = m.replayRunLog(file);
            const state = m.fold(r.events);
            if (r.events.length !== REPLAY_EVENTS || state.status !== 'completed') throw new Error(`replay read ${r.events.length} events, state ${state.status}`);
            folded++;
          }),
          parse: timeMs(() => {
            const lines = fs.readFileSync(file, 'utf8').split('\n');
            let n = 0;
            for (const line of lines) if (line !== '') n += JSON.parse(line) ? 1 : 0;
            if (n !== REPLAY_EVENTS) throw new Error(`JSON.parse baseline read ${n} lines`);
          }),
        },
        REPLAY_SAMPLES,
      );

      const line = `${JSON.stringify({ seq: 1, time: Date.now(), ...events[8] })}\n`;
      const [, ...appendable] = events;
      let sample = 0;
      const durable = async (): Promise<number> => {
        const log = path.join(dir, `durable-${sample++}.jsonl`);
        const w = m.RunLogWriter.open(log, `bench-${sample}`);
        try {
          w.append('run_started', { run_id: `bench-${sample}`, agent: 'dev', prompt: 'p', config_hash: 'h' });
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < APPENDS_PER_SAMPLE; i++) {
            const e = appendable[i % appendable.length]!;
            w.append(e.type, e.payload as never);
          }
          return APPENDS_PER_SAMPLE / (Number(process.hrtime.bigint() - t0) / 1e9);
        } finally {
          w.dispose();
        }
      };
      const plain = async (): Promise<number> => {
        const log = path.join(dir, `plain-${sample++}.jsonl`);
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < APPENDS_PER_SAMPLE; i++) fs.appendFileSync(log, line);
        return APPENDS_PER_SAMPLE / (Number(process.hrtime.bigint() - t0) / 1e9);
      };
      const appends = await sampleInterleaved({ durable, plain }, APPEND_SAMPLES);
      if (folded === 0) throw new Error('replay never ran');
      return [
        {
          name: `runlog: replay ${REPLAY_EVENTS} events (read + zod + fold)`,
          unit: 'ms',
          figure: replay.replay,
          baseline: { name: 'bare JSON.parse of the lines', figure: replay.parse },
          bar: { on: 'figure', max: 100, unit: 'ms' },
          note: `${(bytes / 1024 / 1024).toFixed(1)} MiB log`,
        },
        {
          name: "runlog: durable appends (validate + write + fsync)",
          unit: 'appends/s',
          figure: appends.durable,
          baseline: { name: 'appendFileSync, no fsync', figure: appends.plain },
          note: `${APPENDS_PER_SAMPLE} appends per sample into ${os.tmpdir()}; fsync cost depends on the disk`,
        },
      ];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
