import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { StoreLayout } from '../store/storeLayout';
import type { RunEvent } from './events';
import { fold } from './fold';
import { RUN_ID, RunIndex } from './runIndex';
import { replayText, RunLogWriter, type Replay, type RunLogWriterOptions } from './runLog';
import { acquireRunLock, liveLockOwner } from './runLock';
import { NoSuchRunError, WrongRunKindError } from './runLogErrors';
import { withLiveness } from './runPhase';
import type { RunState } from './runState';
import type { RunSummary } from './runSummary';
import { foldTask, type TaskState } from './taskFold';

export { taskAgentLabel, type RunSummary, type RunListStatus, type RunDamage } from './runSummary';

/** What `repair` did: the log now ends before `line`, whose bytes (and everything after) are in `savedTo`. */
export interface RepairResult {
  readonly runId: string;
  readonly line: number;
  readonly keptEvents: number;
  readonly savedTo: string;
}

export interface ArchiveResult {
  readonly runId: string;
  readonly movedTo: string;
}

/** Logs whose events this process read or wrote last, so one command replays a log once. */
const CACHED_LOGS = 8;

/** Where runs live: one JSONL log per run under `StoreLayout.runLog`, and the index over them. */
export class RunStore {
  readonly index: RunIndex;
  private readonly cache = new Map<string, { size: number; mtimeMs: number; ino: number; events: readonly RunEvent[] }>();

  constructor(
    readonly layout: StoreLayout,
    private readonly options: RunLogWriterOptions & { readonly clock?: () => number; readonly onIndexError?: (e: Error) => void } = {},
  ) {
    this.index = new RunIndex({ root: layout.root, file: layout.runIndex, onRead: (file, st, events) => this.put(file, st, events), ...(options.onIndexError ? { onError: options.onIndexError } : {}) });
  }

  /** A new id: sortable by start time, unique across processes (`r-YYYYMMDD-HHMMSS-xxxxxx`). */
  newRunId(): string {
    const d = new Date((this.options.clock ?? Date.now)());
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    return `r-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${randomBytes(3).toString('hex')}`;
  }

  /** A delegate's child run: `<parent>.<callId-derived suffix>`, so a resume finds the same child again. */
  childRunId(parentRunId: string, callId: string): string {
    return `${parentRunId}.${callId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64)}`;
  }

  isValidRunId(runId: string): boolean {
    return RUN_ID.test(runId);
  }

  exists(runId: string): boolean {
    return this.isValidRunId(runId) && fs.existsSync(this.layout.runLog(runId));
  }

  /** Takes the run's lock and reads its log once; a new run's log is created by its first event. */
  openWriter(runId: string): RunLogWriter {
    this.assertId(runId);
    return RunLogWriter.open(this.layout.runLog(runId), runId, {
      ...this.options,
      onClosed: (file, events) => this.remember(file, events),
      cached: (file, st) => this.cachedEvents(file, st),
      validatedBytes: (_file, st) => this.index.validatedBytes(runId, st),
      onProgress: (_file, events, st) => this.index.noteWritten(runId, events, st, events.length),
    });
  }

  /** A run's events; read from disk only when the log changed since this process last read or wrote it. */
  replay(runId: string): Replay {
    this.assertId(runId);
    const file = this.layout.runLog(runId);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NoSuchRunError(runId, this.layout.root);
      throw e;
    }
    const hit = this.cachedEvents(file, st);
    if (hit) return { events: [...hit], validBytes: st.size, lines: hit.length };
    const replay = replayText(file, fs.readFileSync(file), { validatedBytes: this.index.validatedBytes(runId, st) });
    if (!replay.tornTail) this.put(file, st, replay.events);
    return replay;
  }

  /** An agent run's state (`interrupted` when its log says running but nobody drives it); a task run's id throws `WrongRunKindError`. */
  state(runId: string): RunState {
    const { events } = this.replay(runId);
    if (events[0]?.type === 'task_started') throw new WrongRunKindError(runId, 'task');
    const s = fold(events);
    return s.status === 'running' ? ({ ...s, ...withLiveness(s, this.isLive(runId)) }) : s;
  }

  /** A task run's state; an agent run's id throws `WrongRunKindError` (use `state`). */
  taskState(runId: string): TaskState {
    const { events } = this.replay(runId);
    if (events[0]?.type === 'run_started') throw new WrongRunKindError(runId, 'run');
    const s = foldTask(events);
    return s.status === 'running' ? ({ ...s, ...withLiveness(s, this.isLive(runId)) }) : s;
  }

  /** A process holds the run's lock (it is being driven now). */
  isLive(runId: string): boolean {
    return liveLockOwner(`${this.layout.runLog(runId)}.lock`) !== undefined;
  }

  /** True when `runId` names an existing task run (from the index: no replay). */
  isTaskRun(runId: string): boolean {
    return this.summary(runId)?.kind === 'task';
  }

  /** One run as the index knows it (its log revalidated), or undefined when there is no such log. */
  summary(runId: string): RunSummary | undefined {
    return this.index.get(runId);
  }

  /** Every run in the store, newest first, from the index (a damaged log is listed with its error). */
  list(): RunSummary[] {
    return this.index.list();
  }

  /**
   * Cuts a damaged log before its first bad line so the run can be resumed from its last good event.
   * The bad line and everything after it are first saved (fsync'd) to `<store>/damaged/`.
   */
  repair(runId: string): RepairResult {
    this.assertId(runId);
    const file = this.layout.runLog(runId);
    if (!fs.existsSync(file)) throw new NoSuchRunError(runId, this.layout.root);
    const lock = acquireRunLock(`${file}.lock`, runId, this.options.onLockStep ? { onStep: this.options.onLockStep } : {});
    try {
      const buf = fs.readFileSync(file);
      const r = replayText(file, buf, { upToDamage: true });
      if (!r.damage) throw new RepairError(runId, `${file} has no damaged line; continue the run with --resume ${runId}`);
      if (r.events.length === 0) throw new RepairError(runId, `${file}:${r.damage.line} is its first line, so there is nothing to continue from; archive the run instead`);
      const savedTo = path.join(this.layout.root, 'damaged', `${runId}.from-line-${r.damage.line}.${Date.now()}.jsonl`);
      writeDurably(savedTo, buf.subarray(r.damage.offset));
      const fd = fs.openSync(file, 'r+');
      try {
        fs.ftruncateSync(fd, r.damage.offset);
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      this.cache.delete(file);
      return { runId, line: r.damage.line, keptEvents: r.events.length, savedTo };
    } finally {
      lock.dispose();
    }
  }

  /** Moves a run's log (and its undo backups) to `<store>/archive/`, out of every listing. */
  archive(runId: string): ArchiveResult {
    this.assertId(runId);
    const file = this.layout.runLog(runId);
    if (!fs.existsSync(file)) throw new NoSuchRunError(runId, this.layout.root);
    const lock = acquireRunLock(`${file}.lock`, runId, this.options.onLockStep ? { onStep: this.options.onLockStep } : {});
    try {
      const dir = path.join(this.layout.root, 'archive');
      fs.mkdirSync(dir, { recursive: true });
      let movedTo = path.join(dir, `${runId}.jsonl`);
      if (fs.existsSync(movedTo)) movedTo = path.join(dir, `${runId}.${Date.now()}.jsonl`);
      fs.renameSync(file, movedTo);
      const backups = this.layout.backups(runId);
      if (fs.existsSync(backups)) fs.renameSync(backups, path.join(dir, path.basename(movedTo, '.jsonl') + '.backups'));
      this.cache.delete(file);
      return { runId, movedTo };
    } finally {
      lock.dispose();
    }
  }

  /** A writer closed: its events are the log's, for the read cache and the index (nothing is read back). */
  private remember(file: string, events: readonly RunEvent[]): void {
    try {
      const st = fs.statSync(file);
      this.put(file, st, events);
      this.index.noteWritten(path.basename(file, '.jsonl'), events, st, events.length);
    } catch {
      this.cache.delete(file);
    }
  }

  private cachedEvents(file: string, st: fs.Stats): readonly RunEvent[] | undefined {
    const hit = this.cache.get(file);
    return hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs && hit.ino === st.ino ? hit.events : undefined;
  }

  private put(file: string, st: fs.Stats, events: readonly RunEvent[]): void {
    this.cache.delete(file);
    this.cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, events });
    for (const old of this.cache.keys()) if (this.cache.size > CACHED_LOGS) this.cache.delete(old);
  }

  private assertId(runId: string): void {
    if (!this.isValidRunId(runId)) throw new NotARunIdError(runId);
  }
}

/** Something that is not a run id where one was expected. */
export class NotARunIdError extends Error {
  constructor(readonly given: string) {
    super(`"${given}" is not a run id (expected r-YYYYMMDD-HHMMSS-xxxxxx); list runs with --runs`);
    this.name = 'NotARunIdError';
  }
}

export const isNotARunIdError = (e: unknown): e is NotARunIdError => e instanceof NotARunIdError;

/** `repair` was asked of a log it cannot (or need not) repair. */
export class RepairError extends Error {
  constructor(
    readonly runId: string,
    reason: string,
  ) {
    super(`cannot repair run ${runId}: ${reason}`);
    this.name = 'RepairError';
  }
}

export const isRepairError = (e: unknown): e is RepairError => e instanceof RepairError;

function writeDurably(file: string, data: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'wx');
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
