import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../store/atomicFile';
import type { RunEvent } from './events';
import { replayRunLog, replayText } from './runLog';
import { liveLockOwner } from './runLock';
import { summarize, toSummary, type RunSummary, type SummaryAcc } from './runSummary';

/** One log as the index last read it: its identity on disk and the fold of its valid lines. */
interface Entry {
  readonly size: number;
  readonly mtimeMs: number;
  readonly ino: number;
  /** Bytes of complete, valid lines read (a torn or damaged tail starts here). */
  readonly bytes: number;
  /** Complete valid lines read. */
  readonly lines: number;
  /** Undefined when not even the first line is a valid start. */
  readonly acc?: SummaryAcc;
  readonly damage?: { readonly line: number; readonly detail: string };
}

const VERSION = 1;
/** Valid run ids: `r-YYYYMMDD-HHMMSS-xxxxxx`, plus `.suffix` for a delegate's or a step's run. */
export const RUN_ID = /^r-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}(\.[A-Za-z0-9_-]+)*$/;
/** A changed index is written at most this often by a long-lived process (the CLI writes it on flush). */
const PERSIST_DELAY_MS = 1_000;

export interface RunIndexOptions {
  /** The folder of the run logs. */
  readonly root: string;
  /** The index file; a missing, stale or corrupt one is rebuilt from the logs. */
  readonly file: string;
  /** The index file could not be written (it is only a cache: nothing is lost). */
  readonly onError?: (error: Error) => void;
  /** A whole, sound log was read (`st`: the file as read), for the store's read cache. */
  readonly onRead?: (file: string, st: fs.Stats, events: readonly RunEvent[]) => void;
}

/**
 * The read model of the run store: one summary per run log (agent, status, times, cost, pending
 * approvals, failure), so `--runs`, status and history never replay every log.
 *
 * Each row is keyed by its log's size, mtime and inode and used only while they match; a log that
 * grew is read from where the row stopped (only the new events), one that changed otherwise is read
 * again. The file is a cache written atomically: missing, corrupt or from another version, it is
 * rebuilt from the logs, and it is never trusted over them. Locks are checked on every listing, so a
 * run whose writer died shows as `interrupted` at once.
 */
export class RunIndex {
  private entries: Map<string, Entry> | undefined;
  /** Rows already made from an entry (entries are replaced, never changed, when their log changes). */
  private readonly rows = new WeakMap<Entry, { live: boolean; row: RunSummary }>();
  /** The rows of the last listing, and that listing in order. */
  private listed: Set<RunSummary> | undefined;
  private sorted: RunSummary[] | undefined;
  private dirty = false;
  private timer: NodeJS.Timeout | undefined;
  /** The timer's write of the index, while it is on its way (see `persistInBackground`). */
  private persisting: Promise<void> | undefined;
  /** Bumped by every write started: a background write renames its file into place only if it is still the last. */
  private generation = 0;
  /** Each entry's JSON, made once (entries are immutable): a rewrite of the index serializes only what changed. */
  private readonly serialized = new WeakMap<Entry, string>();

  /** The logs' folder with a trailing separator. */
  private readonly root: string;

  constructor(private readonly options: RunIndexOptions) {
    const root = path.resolve(options.root);
    this.root = root.endsWith(path.sep) ? root : `${root}${path.sep}`;
  }

  /** Every run, newest first; every log is revalidated by stat (a changed one is read, from where its row stopped if it grew). */
  list(): RunSummary[] {
    const entries = this.load();
    let names: string[];
    try {
      names = fs.readdirSync(this.options.root);
    } catch {
      names = [];
    }
    const seen = new Set<string>();
    for (const name of names) {
      if (!name.endsWith('.jsonl')) continue;
      const runId = name.slice(0, -'.jsonl'.length);
      if (!RUN_ID.test(runId)) continue;
      if (this.refresh(runId)) seen.add(runId);
    }
    for (const runId of entries.keys()) {
      if (!seen.has(runId)) {
        entries.delete(runId);
        this.dirty = true;
      }
    }
    const rows: RunSummary[] = [];
    let same = this.listed !== undefined && this.listed.size === entries.size;
    for (const [runId, entry] of entries) {
      const row = this.row(runId, entry);
      same &&= this.listed?.has(row) === true;
      rows.push(row);
    }
    this.schedulePersist();
    // Nothing changed since the last listing (the usual case for a status bar): the same order.
    if (same && this.sorted) return [...this.sorted];
    this.listed = new Set(rows);
    this.sorted = withTaskTotals(rows).sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : -1));
    return [...this.sorted];
  }

  /** One run (its log revalidated), or undefined when there is no such log. */
  get(runId: string): RunSummary | undefined {
    if (!RUN_ID.test(runId) || !this.refresh(runId)) return undefined;
    this.schedulePersist();
    const entry = this.load().get(runId);
    return entry ? this.row(runId, entry) : undefined;
  }

  /**
   * A writer of this process closed the log with these events (`st`: the file after its last append):
   * the row is made from them, without reading the file back.
   */
  noteWritten(runId: string, events: readonly RunEvent[], st: fs.Stats, lines: number): void {
    if (!RUN_ID.test(runId) || events.length === 0) return;
    let acc: SummaryAcc;
    try {
      acc = summarize(undefined, events);
    } catch {
      return;
    }
    this.load().set(runId, { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, bytes: st.size, lines, acc });
    this.dirty = true;
    this.schedulePersist();
  }

  /**
   * How many leading bytes of the log (as `st` says it is now) the index read and validated, or a
   * writer validated when it appended them: all of them when its row is for exactly this file.
   */
  validatedBytes(runId: string, st: fs.Stats): number {
    const e = this.load().get(runId);
    return e && !e.damage && e.ino === st.ino && e.size === st.size && e.mtimeMs === st.mtimeMs ? e.bytes : 0;
  }

  /** Writes the index now if it changed (or a background write of it is still on its way). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if ((!this.dirty && !this.persisting) || !this.entries) return;
    this.dirty = false;
    // A background write still on its way must not rename an older index over this one.
    this.generation++;
    try {
      writeFileAtomicSync(this.options.file, this.serialize(this.entries));
    } catch (e) {
      this.options.onError?.(new Error(`could not write the run index ${this.options.file} (it is rebuilt from the logs when needed)`, { cause: e }));
    }
  }

  dispose(): void {
    this.flush();
  }

  /** Brings one run's row up to date with its log; false when the log is gone. */
  private refresh(runId: string): boolean {
    const entries = this.load();
    const file = this.logFile(runId);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st === undefined) {
      if (entries.delete(runId)) this.dirty = true;
      return false;
    }
    const old = entries.get(runId);
    if (old && old.ino === st.ino && old.size === st.size && old.mtimeMs === st.mtimeMs) return true;
    // A tail that does not continue the row cleanly (the file was rewritten, not appended to) is read again in full.
    const tail = old && old.ino === st.ino && st.size > old.size && old.acc && !old.damage ? this.readTail(file, old, st) : undefined;
    const next = tail && !tail.damage ? tail : this.readAll(file, st);
    entries.set(runId, next);
    this.dirty = true;
    return true;
  }

  /** Only the bytes appended since the row was made. */
  private readTail(file: string, old: Entry, st: fs.Stats): Entry | undefined {
    const acc = old.acc;
    if (!acc) return undefined;
    let buf: Buffer;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        buf = Buffer.alloc(st.size - old.bytes);
        let off = 0;
        while (off < buf.length) {
          const n = fs.readSync(fd, buf, off, buf.length - off, old.bytes + off);
          if (n === 0) break;
          off += n;
        }
        buf = buf.subarray(0, off);
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return undefined;
    }
    const r = replayText(file, buf, { upToDamage: true, from: { offset: old.bytes, lines: old.lines, seq: acc.lastSeq + 1 } });
    const next = summarize(structuredClone(acc), r.events);
    return { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, bytes: r.validBytes, lines: r.lines, acc: next, ...(r.damage ? { damage: { line: r.damage.line, detail: r.damage.detail } } : {}) };
  }

  private readAll(file: string, st: fs.Stats): Entry {
    const base = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    let r;
    try {
      r = replayRunLog(file, { upToDamage: true });
    } catch (e) {
      return { ...base, bytes: 0, lines: 0, damage: { line: 1, detail: `unreadable: ${(e as Error).message}` } };
    }
    if (!r.damage && !r.tornTail && r.events.length > 0) this.options.onRead?.(file, st, r.events);
    if (r.events.length === 0) {
      return { ...base, bytes: 0, lines: 0, damage: r.damage ? { line: r.damage.line, detail: r.damage.detail } : { line: 1, detail: 'the log is empty: the run was cut off before its first event reached the disk' } };
    }
    try {
      return { ...base, bytes: r.validBytes, lines: r.lines, acc: summarize(undefined, r.events), ...(r.damage ? { damage: { line: r.damage.line, detail: r.damage.detail } } : {}) };
    } catch (e) {
      return { ...base, bytes: 0, lines: 0, damage: { line: 1, detail: (e as Error).message } };
    }
  }

  private row(runId: string, entry: Entry): RunSummary {
    const acc = entry.acc;
    // Only a run that is not stopped in its log can have died without saying so: its lock decides.
    const live = acc !== undefined && !entry.damage && acc.phase.status === 'running' ? this.isLive(runId) : true;
    const cached = this.rows.get(entry);
    if (cached && cached.live === live) return cached.row;
    const row = this.makeRow(runId, entry, live);
    this.rows.set(entry, { live, row });
    return row;
  }

  private makeRow(runId: string, entry: Entry, live: boolean): RunSummary {
    const file = this.logFile(runId);
    const acc = entry.acc;
    if (entry.damage) {
      const damage = { file, line: entry.damage.line, detail: entry.damage.detail };
      const error = `${file}:${damage.line}: ${damage.detail}`;
      if (!acc) return { runId, kind: 'run', agent: '?', title: '', startedAt: entry.mtimeMs, updatedAt: entry.mtimeMs, costUsd: 0, pendingApprovals: 0, events: 0, status: 'damaged', damage, error };
      const { status: before, ...rest } = toSummary(acc, true);
      return { ...rest, runId, status: 'damaged', damage, error, before } as RunSummary;
    }
    if (!acc) throw new Error(`run index: no summary for ${runId}`);
    const row = toSummary(acc, live);
    // The log's name is the run's id (a copied log could say otherwise inside).
    if (row.runId !== runId) return { ...row, runId };
    return row;
  }

  /** `<root>/<runId>.jsonl` (plain concatenation: path.join costs more than the stat in a 2,000-run listing). */
  private logFile(runId: string): string {
    return `${this.root}${runId}.jsonl`;
  }

  private isLive(runId: string): boolean {
    const lock = `${this.logFile(runId)}.lock`;
    return fs.existsSync(lock) && liveLockOwner(lock) !== undefined;
  }

  private load(): Map<string, Entry> {
    if (this.entries) return this.entries;
    this.entries = new Map();
    try {
      const data = JSON.parse(fs.readFileSync(this.options.file, 'utf8')) as { version?: unknown; runs?: unknown };
      if (data.version === VERSION && typeof data.runs === 'object' && data.runs !== null) {
        for (const [runId, e] of Object.entries(data.runs as Record<string, unknown>)) if (isEntry(e)) this.entries.set(runId, e);
      }
    } catch {
      // Missing or corrupt: every row is rebuilt from its log.
      this.dirty = true;
    }
    return this.entries;
  }

  /**
   * `JSON.stringify({ version, runs: Object.fromEntries(entries) })`, from each entry's cached JSON: a long run
   * rewrites the index once a second, and 2,000 rows (700 KB) took 7–18 ms to stringify on the host's thread.
   */
  private serialize(entries: ReadonlyMap<string, Entry>): string {
    const rows: string[] = [];
    for (const [runId, entry] of entries) {
      let json = this.serialized.get(entry);
      if (json === undefined) {
        json = JSON.stringify(entry);
        this.serialized.set(entry, json);
      }
      rows.push(`${JSON.stringify(runId)}:${json}`);
    }
    return `{"version":${VERSION},"runs":{${rows.join(',')}}}`;
  }

  private schedulePersist(): void {
    if (!this.dirty || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.persistInBackground();
    }, PERSIST_DELAY_MS);
    this.timer.unref();
  }

  /**
   * The timer's write (a long-lived process, e.g. the extension host, while a run goes on): serialized here,
   * written and renamed into place off the calling thread. One at a time; `flush()` still writes synchronously.
   */
  private persistInBackground(): void {
    if (!this.dirty || !this.entries) return;
    if (this.persisting) {
      void this.persisting.then(() => this.schedulePersist());
      return;
    }
    this.dirty = false;
    const generation = ++this.generation;
    const text = this.serialize(this.entries);
    const file = this.options.file;
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    this.persisting = (async () => {
      try {
        await fs.promises.mkdir(path.dirname(file), { recursive: true });
        await fs.promises.writeFile(tmp, text);
        if (generation === this.generation) await fs.promises.rename(tmp, file);
        else await fs.promises.rm(tmp, { force: true });
      } catch (e) {
        await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
        this.options.onError?.(new Error(`could not write the run index ${file} (it is rebuilt from the logs when needed)`, { cause: e }));
      } finally {
        this.persisting = undefined;
      }
      this.schedulePersist();
    })();
  }
}

/** A task's cost is its steps' cost; its pending approvals are those of the step it waits on. */
function withTaskTotals(rows: RunSummary[]): RunSummary[] {
  const byTask = new Map<string, RunSummary[]>();
  for (const r of rows) {
    if (r.taskRunId === undefined) continue;
    const steps = byTask.get(r.taskRunId);
    if (steps) steps.push(r);
    else byTask.set(r.taskRunId, [r]);
  }
  if (byTask.size === 0) return rows;
  return rows.map((r) => {
    const steps = r.kind === 'task' ? byTask.get(r.runId) : undefined;
    if (!steps) return r;
    const waiting = r.status === 'waiting_on_human' ? steps.reduce((n, s) => n + s.pendingApprovals, 0) : 0;
    return { ...r, costUsd: steps.reduce((n, s) => n + s.costUsd, 0), pendingApprovals: waiting };
  });
}

/** A cheap shape check of a stored row (the stat match decides whether it is used at all). */
function isEntry(e: unknown): e is Entry {
  if (typeof e !== 'object' || e === null) return false;
  const o = e as Record<string, unknown>;
  if (typeof o.size !== 'number' || typeof o.mtimeMs !== 'number' || typeof o.ino !== 'number' || typeof o.bytes !== 'number' || typeof o.lines !== 'number') return false;
  if (o.acc === undefined) return typeof o.damage === 'object' && o.damage !== null;
  const a = o.acc as Record<string, unknown>;
  return typeof a === 'object' && a !== null && typeof a.agent === 'string' && typeof a.title === 'string' && typeof a.startedAt === 'number' && typeof a.updatedAt === 'number' && typeof a.lastSeq === 'number' && typeof a.costUsd === 'number' && Array.isArray(a.pending) && typeof a.phase === 'object' && a.phase !== null && typeof (a.phase as { status?: unknown }).status === 'string';
}
