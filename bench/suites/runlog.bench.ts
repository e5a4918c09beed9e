import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved, spread } from '../harness';
import { loadProductionModule } from '../support/productionBundle';
import { syntheticRunEvents, writeRunLogFixture } from '../support/runLogFixture';

type RunLogModule = typeof import('./../support/runlogEntry');

const REPLAY_EVENTS = 10_000;
const REPLAY_SAMPLES = quick() ? 7 : 21;
/** fsync'd appends per sample; each sample is one fresh log (as a run is). */
const APPENDS_PER_SAMPLE = quick() ? 100 : 300;
const APPEND_SAMPLES = quick() ? 5 : 9;
/** Events of one simulated run for the event-loop figures, in turns of TURN_EVENTS. */
const RUN_EVENTS = 1_000;
const TURN_EVENTS = 10;
const RUN_SAMPLES = quick() ? 3 : 7;

/**
 * Replay (read + validate every line with zod + fold into run state) of a 10 000-event log against a
 * bare `JSON.parse` of the same lines; and appends with group commit (fsync off the caller's thread,
 * one for all events queued meanwhile) against the old writer's write + fsyncSync per event: the time
 * the caller's thread is blocked per append, and durable appends per second. And what the rest of the
 * process feels while a run appends 1 000 events (in turns of 10, each ending with a wait for durability
 * as a side effect does): the event loop's delay (max and p99, `monitorEventLoopDelay`), and the time a
 * burst of 1 000 appends holds the calling thread.
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
      /** One run's appends through the writer: ms the caller's thread spent inside append(), and appends/s until durable. */
      const groupCommit = async (): Promise<{ blockedMsPerAppend: number; perSecond: number }> => {
        const log = path.join(dir, `group-${sample++}.jsonl`);
        const w = m.RunLogWriter.open(log, `bench-${sample}`);
        try {
          w.append('run_started', { run_id: `bench-${sample}`, agent: 'dev', prompt: 'p', config_hash: 'h' });
          await w.durable();
          let blocked = 0n;
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < APPENDS_PER_SAMPLE; i++) {
            const e = appendable[i % appendable.length]!;
            const a = process.hrtime.bigint();
            w.append(e.type, e.payload);
            blocked += process.hrtime.bigint() - a;
            // A step that is about to start a side effect waits for its intent to be on disk (every 10th here).
            if (i % 10 === 9) await w.durable();
          }
          await w.durable();
          return { blockedMsPerAppend: Number(blocked) / 1e6 / APPENDS_PER_SAMPLE, perSecond: APPENDS_PER_SAMPLE / (Number(process.hrtime.bigint() - t0) / 1e9) };
        } finally {
          await w.close();
        }
      };
      /** What the writer did before: write and fsync on the caller's thread, for every event. */
      const syncEach = (): { blockedMsPerAppend: number; perSecond: number } => {
        const log = path.join(dir, `sync-${sample++}.jsonl`);
        const fd = fs.openSync(log, 'a');
        try {
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < APPENDS_PER_SAMPLE; i++) {
            fs.writeSync(fd, line);
            fs.fsyncSync(fd);
          }
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          return { blockedMsPerAppend: ms / APPENDS_PER_SAMPLE, perSecond: APPENDS_PER_SAMPLE / (ms / 1e3) };
        } finally {
          fs.closeSync(fd);
        }
      };
      const blocked: Record<'group' | 'sync', number[]> = { group: [], sync: [] };
      const rate: Record<'group' | 'sync', number[]> = { group: [], sync: [] };
      await groupCommit();
      syncEach();
      for (let i = 0; i < APPEND_SAMPLES; i++) {
        const g = await groupCommit();
        const o = syncEach();
        blocked.group.push(g.blockedMsPerAppend * 1000);
        blocked.sync.push(o.blockedMsPerAppend * 1000);
        rate.group.push(g.perSecond);
        rate.sync.push(o.perSecond);
      }
      /**
       * One run of RUN_EVENTS appends as the extension host would see it: turns of TURN_EVENTS events, the
       * event loop free in between (setImmediate), durability awaited at the end of each turn. Returns the
       * event loop's delay over the run (max and p99, ms) and the calling thread's time in one burst of
       * RUN_EVENTS appends (ms).
       */
      const delayOf = async (write: (log: string) => { append: (i: number) => void; durable: () => Promise<void>; close: () => Promise<void> }) => {
        const log = path.join(dir, `loop-${sample++}.jsonl`);
        const w = write(log);
        const h = monitorEventLoopDelay({ resolution: 1 });
        let burst = 0;
        try {
          h.enable();
          for (let i = 0; i < RUN_EVENTS; i++) {
            w.append(i);
            if (i % TURN_EVENTS === TURN_EVENTS - 1) {
              await w.durable();
              await new Promise((r) => setImmediate(r));
            }
          }
          await w.durable();
          h.disable();
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < RUN_EVENTS; i++) w.append(i);
          burst = Number(process.hrtime.bigint() - t0) / 1e6;
          await w.durable();
        } finally {
          h.disable();
          await w.close();
        }
        return { maxMs: h.max / 1e6, p99Ms: h.percentile(99) / 1e6, burstMs: burst };
      };
      const writerRun = (log: string) => {
        const w = m.RunLogWriter.open(log, `bench-${sample}`);
        w.append('run_started', { run_id: `bench-${sample}`, agent: 'dev', prompt: 'p', config_hash: 'h' });
        return {
          append: (i: number) => {
            const e = appendable[i % appendable.length]!;
            w.append(e.type, e.payload);
          },
          durable: () => w.durable(),
          close: () => w.close(),
        };
      };
      const syncRun = (log: string) => {
        const fd = fs.openSync(log, 'a');
        return {
          append: () => {
            fs.writeSync(fd, line);
            fs.fsyncSync(fd);
          },
          durable: async () => undefined,
          close: async () => fs.closeSync(fd),
        };
      };
      const loop: Record<'writer' | 'sync', { maxMs: number[]; p99Ms: number[]; burstMs: number[] }> = { writer: { maxMs: [], p99Ms: [], burstMs: [] }, sync: { maxMs: [], p99Ms: [], burstMs: [] } };
      await delayOf(writerRun);
      await delayOf(syncRun);
      for (let i = 0; i < RUN_SAMPLES; i++) {
        for (const [k, run] of [['writer', writerRun], ['sync', syncRun]] as const) {
          const r = await delayOf(run);
          loop[k].maxMs.push(r.maxMs);
          loop[k].p99Ms.push(r.p99Ms);
          loop[k].burstMs.push(r.burstMs);
        }
      }
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
          name: 'runlog: time the caller is blocked per append (validate + queue; write and fdatasync off-thread)',
          unit: 'µs',
          figure: spread(blocked.group),
          baseline: { name: 'write + fsyncSync per append (the old writer)', figure: spread(blocked.sync) },
          note: 'what the extension host thread pays per event; fsync cost depends on the disk',
        },
        {
          name: 'runlog: durable appends with group commit (awaited every 10)',
          unit: 'appends/s',
          figure: spread(rate.group),
          baseline: { name: 'write + fsyncSync per append (the old writer)', figure: spread(rate.sync) },
          note: `${APPENDS_PER_SAMPLE} appends per sample into ${os.tmpdir()}`,
        },
        {
          name: `runlog: event-loop delay while a run appends ${RUN_EVENTS} events, max`,
          unit: 'ms',
          figure: spread(loop.writer.maxMs),
          baseline: { name: 'write + fsyncSync per append', figure: spread(loop.sync.maxMs) },
          note: `monitorEventLoopDelay over one run: turns of ${TURN_EVENTS} events, durable() awaited after each`,
        },
        {
          name: `runlog: event-loop delay while a run appends ${RUN_EVENTS} events, p99`,
          unit: 'ms',
          figure: spread(loop.writer.p99Ms),
          baseline: { name: 'write + fsyncSync per append', figure: spread(loop.sync.p99Ms) },
          note: 'the histogram resolves ~1 ms: below that the loop was not held',
        },
        {
          name: `runlog: calling thread held by a burst of ${RUN_EVENTS} appends`,
          unit: 'ms',
          figure: spread(loop.writer.burstMs),
          baseline: { name: 'write + fsyncSync per append', figure: spread(loop.sync.burstMs) },
          note: 'validate + serialize + whatever I/O append() does before returning',
        },
      ];
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};
