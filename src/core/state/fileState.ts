import * as fs from 'node:fs';
import { z } from 'zod';
import type { Clock } from '../common/clock';
import { SegmentedLog, type LogLine } from '../store/segmentedLog';
import { recording } from '../store/storeFaults';
import { toDisposable, type Disposable } from '../common/lifecycle';
import { FoldingState } from './foldingState';
import { modelDataSchema, recordSchema, type StateRecord } from './records';
import { StateModel, type Applied, type ModelData } from './stateModel';

export interface FileStateOptions {
  /** `StoreLayout.sharedState`. */
  readonly dir: string;
  readonly clock: Clock;
  /**
   * The state a brand-new log starts from (old breaker files imported, spending from the cost ledger), with
   * what was wrong on the way. Called when no segment exists yet, or when the newest one is damaged.
   */
  readonly seed: () => ModelData;
  /** A segment is sealed and replaced once its records (after the header) pass this many bytes; default 256 KiB. */
  readonly maxSegmentBytes?: number;
  /**
   * Milliseconds a segment three or more behind the newest is kept after its last write; default 60 000. A
   * segment's name must not become free while a process that fell behind could still create it again.
   */
  readonly keepSegmentsForMs?: number;
}

const headerSchema = z.object({ k: z.literal('header'), gen: z.number().int().positive(), at: z.number(), model: modelDataSchema });

/** Segments kept behind the newest, so a process a little behind still finds the one after its own. */
const KEEP_SEGMENTS = 3;

type Tail = { readonly kind: 'found'; readonly applied: Applied } | { readonly kind: 'void' } | { readonly kind: 'caught_up' };

/**
 * The default shared state: a log in the store folder that every process using the store appends to and
 * folds (see `SegmentedLog` and `StateModel`). There is no lock, so nobody waits for anybody and a process
 * killed at any moment blocks nothing; every process folds the same records in the same order, so they all
 * agree which claim got the last slot or the one probe. Reads and appends are synchronous: each is one
 * system call of a few microseconds, cheaper than an asynchronous round trip through libuv's thread pool.
 */
export class FileState extends FoldingState {
  readonly backend = 'file' as const;
  private readonly log: SegmentedLog;
  private readonly maxBytes: number;
  private needHeader = true;
  /** Bytes of the open segment's header line (sealing counts only the records after it). */
  private headerBytes = 0;
  private readonly warned = new Set<string>();
  /** Records posted but not yet seen in the fold (see `post`). */
  private readonly posted = new Map<string, StateRecord>();

  private constructor(private readonly options: FileStateOptions) {
    super(options.clock);
    this.log = new SegmentedLog(options.dir);
    this.maxBytes = options.maxSegmentBytes ?? 256 * 1024;
  }

  get location(): string {
    return this.options.dir;
  }

  /** Opens (or starts) the shared log in `dir`; throws `StoreWriteError` when the store cannot take writes. */
  static open(options: FileStateOptions): FileState {
    const state = new FileState(options);
    recording('the shared state', options.dir, () => fs.mkdirSync(options.dir, { recursive: true }));
    state.openNewest();
    state.catchUp();
    return state;
  }

  protected submit(record: StateRecord): Applied {
    const json = JSON.stringify(record);
    for (let tries = 0; tries < 100; tries++) {
      this.log.append(json, describe(record));
      const tail = this.tail(record.id);
      if (tail.kind === 'found') {
        this.sealIfFull();
        return tail.applied;
      }
      // Our record landed after a seal, or a damaged line swallowed it: it is void for everyone (every process
      // skipped the same bytes), so it goes again, into the current segment.
    }
    throw new Error(`The shared state ${this.log.file} lost ${describe(record)} a hundred times in a row; it is being damaged while in use.`);
  }

  /**
   * Appends without reading: its outcome is folded with the next read. A record that lands after a seal is
   * void, so the next read of a process that posted (and has not seen the seal yet) sends it again.
   */
  protected override post(record: StateRecord): void {
    this.log.append(JSON.stringify(record), describe(record));
    this.posted.set(record.id, record);
  }

  protected catchUp(): void {
    this.tail(undefined);
  }

  /** Watches the store folder (inotify and the like); a burst of appends is folded once, 200 ms after it starts. */
  override watch(onChange: () => void): Disposable {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watcher: fs.FSWatcher | undefined;
    const check = () => {
      timer = undefined;
      const before = this.foreign;
      try {
        this.catchUp();
      } catch (err) {
        this.warn(`Could not read the shared state ${this.log.file}: ${(err as Error).message}`);
        return;
      }
      if (this.foreign !== before) onChange();
    };
    try {
      watcher = fs.watch(this.options.dir, () => (timer ??= setTimeout(check, 200)));
      watcher.on('error', () => watcher?.close());
    } catch {
      // No watching here (an unusual file system): views refresh when this process acts.
    }
    return toDisposable(() => {
      watcher?.close();
      if (timer !== undefined) clearTimeout(timer);
    });
  }

  /**
   * Makes sure every posted record is in the fold of every process: a record posted after a seal is void until
   * it is sent again, which happens when this process reads the seal — so read before going away.
   */
  private confirmPosted(): void {
    for (let i = 0; i < 8 && this.posted.size > 0; i++) {
      this.catchUp();
      // Read to the end and still not there: a damaged line swallowed it. Send it again.
      if (i > 0) for (const r of this.posted.values()) this.log.append(JSON.stringify(r), describe(r));
    }
    if (this.posted.size > 0) this.warn(`${this.posted.size} record(s) could not be confirmed in the shared state ${this.log.file}; budget reservations among them lapse in a minute.`);
  }

  override close(): Promise<void> {
    try {
      this.confirmPosted();
    } catch (err) {
      this.warn(`Could not finish writing the shared state ${this.log.file}: ${(err as Error).message}`);
    }
    this.log.close();
    return super.close();
  }

  private openNewest(): void {
    for (;;) {
      const gen = this.log.newest();
      if (gen === 0) {
        this.log.create(1, this.header(1, this.options.seed()));
        continue;
      }
      if (this.log.open(gen)) {
        this.needHeader = true;
        return;
      }
    }
  }

  /** Folds new lines until `target` is folded (or until the end when undefined), following seals. */
  private tail(target: string | undefined): Tail {
    let found: Applied | undefined;
    for (;;) {
      const lines = this.log.readNew();
      if (lines.length === 0) return found ? { kind: 'found', applied: found } : target === undefined ? { kind: 'caught_up' } : { kind: 'void' };
      let switched = false;
      for (const line of lines) {
        if (this.needHeader) {
          if (!this.takeHeader(line)) {
            switched = true;
            break;
          }
          continue;
        }
        const record = this.parse(line);
        if (record === undefined) continue;
        if (record.k === 'seal') {
          this.rotate(record.at);
          switched = true;
          // Posted records that landed after the seal are void: they go again into the new segment.
          for (const r of [...this.posted.values()]) this.log.append(JSON.stringify(r), describe(r));
          if (found === undefined && target !== undefined) return { kind: 'void' };
          break;
        }
        const applied = this.fold(record);
        this.posted.delete(record.id);
        if (record.id === target) found = applied;
      }
      if (switched) continue;
    }
  }

  private takeHeader(line: LogLine): boolean {
    let parsed: z.ZodSafeParseResult<z.infer<typeof headerSchema>> | undefined;
    try {
      parsed = headerSchema.safeParse(JSON.parse(line.text));
    } catch {
      parsed = undefined;
    }
    if (parsed?.success) {
      this.model = new StateModel(parsed.data.model);
      this.needHeader = false;
      this.headerBytes = Buffer.byteLength(line.text) + 1;
      return true;
    }
    const why = parsed === undefined ? 'not JSON' : z.prettifyError(parsed.error).split('\n')[0];
    this.warnOnce(`${this.log.file}:1`, `The shared state ${this.log.file} is damaged (line 1: ${why}); starting clean: every breaker closed, rate-limit windows empty, spending rebuilt from the cost ledger.`);
    this.replace(this.options.seed());
    return false;
  }

  private parse(line: LogLine): StateRecord | undefined {
    let json: unknown;
    try {
      json = JSON.parse(line.text);
    } catch {
      this.warnOnce(`${this.log.file}:${line.line}`, `Skipped a damaged line in the shared state: ${this.log.file} line ${line.line} is not JSON.`);
      return undefined;
    }
    const r = recordSchema.safeParse(json);
    if (r.success) return r.data;
    this.warnOnce(`${this.log.file}:${line.line}`, `Skipped a damaged line in the shared state: ${this.log.file} line ${line.line} (${z.prettifyError(r.error).split('\n')[0]}).`);
    return undefined;
  }

  /** The first seal ends the segment: the next one starts from the fold as it is here (the same in every process). */
  private rotate(at: number): void {
    const next = this.log.generation + 1;
    const model = this.model.snapshot();
    // Far behind: the segment we would write is long gone, and a newer one holds everything before it.
    if (this.log.newest() > next) return this.openNewest();
    this.log.create(next, JSON.stringify({ k: 'header', gen: next, at, model }));
    if (!this.log.open(next)) return this.openNewest();
    // Between our look and our link, others may have moved two segments on and deleted `next`: then we just
    // made a stale copy. A newer segment's header holds everything before it, so joining the newest is always
    // right; nobody appends to a stale copy, since everyone who opens a segment looks again first.
    // (A stale copy is left to the age-based clean-up below: deleting it at once would free its name again.)
    if (this.log.newest() > next) return this.openNewest();
    this.needHeader = true;
    try {
      this.log.removeOlder(next - KEEP_SEGMENTS, this.options.keepSegmentsForMs ?? 60_000);
    } catch {
      // Old segments are only garbage; a failure to delete them must not stop anything.
    }
  }

  /** Starts the next segment from `model` (the newest one is damaged). */
  private replace(model: ModelData): void {
    const next = this.log.generation + 1;
    this.log.create(next, this.header(next, model));
    this.openNewest();
  }

  private sealIfFull(): void {
    const { size, removed } = this.log.stat();
    if (removed) {
      // Our segment was deleted: we fell more than one segment behind. Join the newest.
      this.openNewest();
      this.catchUp();
      return;
    }
    if (size - this.headerBytes < this.maxBytes) return;
    const seal: StateRecord = { k: 'seal', id: this.newId(), at: this.clock() };
    this.log.append(JSON.stringify(seal), 'the end of a shared-state segment');
    this.catchUp();
  }

  private header(gen: number, model: ModelData): string {
    return JSON.stringify({ k: 'header', gen, at: this.clock(), model });
  }

  private warnOnce(key: string, message: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.warn(message);
  }
}

function describe(record: StateRecord): string {
  switch (record.k) {
    case 'admit':
      return record.key.startsWith('t:') ? `the start of a ${record.key.slice(2)} tool call` : `the start of a call to ${record.key.slice(2)}`;
    case 'start':
      return `the start of a queued call to ${record.key.slice(2)}`;
    case 'done':
      return `the end of a call to ${record.key.slice(2)}`;
    case 'settle':
      return 'the cost of a call';
    default:
      return `a ${record.k} record of the shared state`;
  }
}
