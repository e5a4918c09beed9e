import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEventSchema, type RunEvent, type RunEventInput, type RunEventType } from './events';
import { acquireRunLock, type LockStep, type RunLock } from './runLock';
import { isRunLogConflictError, RunLogConflictError } from './runLogErrors';
import { replayRunLog, type Replay, type TornTail } from './runLogReplay';
import type { Disposable } from '../common/lifecycle';
import { asStoreWriteError, isStoreWriteError, recording } from '../store/storeFaults';
import { fsyncDir } from '../store/atomicFile';

export { replayRunLog, replayText, type LogDamage, type Replay, type ReplayFrom, type TornTail } from './runLogReplay';

export interface RunLogWriterOptions {
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /**
   * TEST HOOK for the crash tests: called by the flusher once an event is in the file (`'after'`: a kill -9
   * from here on finds it, and nothing appended after it) or, for `'mid'`, with half of its line written and
   * synced. With the hook set, events are written one at a time. The CLI wires `BREAKWATER_TEST_CRASH_AT` to
   * it to SIGKILL itself.
   */
  readonly onDurable?: (event: RunEvent, stage: 'mid' | 'after') => void;
  /** TEST HOOK: between the steps of taking the run lock (see `RunLockOptions.onStep`). */
  readonly onLockStep?: (step: LockStep) => void;
  /** Told the log's events after the writer closed, for the store's read cache. */
  readonly onClosed?: (file: string, events: readonly RunEvent[]) => void;
  /**
   * The log's events as this process last read them, if the file is still exactly that (same size,
   * mtime and inode, checked under the lock): the log is then not read again.
   */
  readonly cached?: (file: string, st: fs.Stats) => readonly RunEvent[] | undefined;
  /** How many leading bytes of the log, as it is now (`st`), hold events already validated (see `replayText`). */
  readonly validatedBytes?: (file: string, st: fs.Stats) => number;
  /**
   * Told, at most once a second after a batch's fdatasync, the events synced so far and the file's stat:
   * the store keeps the run index close behind a long run, so a resume after a crash re-reads little.
   */
  readonly onProgress?: (file: string, events: readonly RunEvent[], st: fs.Stats) => void;
}

/** An event validated and serialized by `append`, waiting for the flusher. */
interface Queued {
  readonly line: Buffer;
  readonly event: RunEvent;
}

/**
 * The single writer of one run's log. Holds the run lock. `append` validates the event (the only
 * validation it gets on its way out) and queues it; it does no I/O on the calling thread. A flusher
 * writes what is queued, in order, with one asynchronous write and one `fdatasync` per batch (group
 * commit): events appended while a batch is on its way join the next one. `durable()` resolves once
 * every event appended so far is on disk, and rejects if one could not be written: a step whose side
 * effect must not start before its intent is on disk awaits it first, and `close()` awaits it too.
 * After a failed write the writer appends nothing more (`append` throws the failure).
 *
 * A log is created with its first event in one step (written to a temp file, then linked into place),
 * so it never exists empty. Before each write the flusher checks that the file is still the one it
 * opened, at the size it left it: another writer, or a log moved away, stops it with
 * `RunLogConflictError` instead of interleaving.
 */
export class RunLogWriter implements Disposable {
  private fd = -1;
  private ino = -1;
  /** Bytes of the log this writer knows of (the file's size after its last write). */
  private bytes = 0;
  private broken: Error | undefined;
  private readonly queue: Queued[] = [];
  /** Events appended, written (in the page cache: a kill -9 finds them) and synced, by this writer. */
  private appended = 0;
  private written = 0;
  private synced = 0;
  /** The flusher's current pass, if one is scheduled or running (it never rejects). */
  private flushing: Promise<void> | undefined;
  private dirPending = false;
  /** No more appends (close or dispose was called). */
  private closed = false;
  /** The file is closed and the lock released. */
  private released = false;
  /** `dispose()` during a flusher pass: release once it is done. */
  private releaseWhenIdle = false;
  private progressAt = 0;

  private constructor(
    readonly file: string,
    private readonly runId: string,
    private readonly lock: RunLock,
    private readonly events: RunEvent[],
    readonly repairedTail: TornTail | undefined,
    private readonly options: RunLogWriterOptions,
  ) {}

  /**
   * Takes the run lock and reads the log (once). A missing log is created by the first `append`.
   * Cuts off a torn last line; throws `RunLogCorruptError` for a damaged one.
   */
  static open(file: string, runId: string, options: RunLogWriterOptions = {}): RunLogWriter {
    // A full or read-only store stops the run here, before anything it could not record.
    return recording(`the log of run ${runId}`, file, () => RunLogWriter.openWritable(file, runId, options));
  }

  private static openWritable(file: string, runId: string, options: RunLogWriterOptions): RunLogWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = acquireRunLock(`${file}.lock`, runId, options.onLockStep ? { onStep: options.onLockStep } : {});
    try {
      let replay: Replay | undefined;
      try {
        const st = fs.statSync(file);
        const known = options.cached?.(file, st);
        replay = known ? { events: [...known], validBytes: st.size, lines: known.length } : replayRunLog(file, { validatedBytes: options.validatedBytes?.(file, st) ?? 0 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      const writer = new RunLogWriter(file, runId, lock, replay?.events ?? [], replay?.tornTail, options);
      if (replay) writer.attach(replay.validBytes, replay.tornTail !== undefined);
      return writer;
    } catch (e) {
      lock.dispose();
      throw e;
    }
  }

  /** Every event of the run: those read from the log and those appended since (written or queued). */
  get all(): readonly RunEvent[] {
    return this.events;
  }

  /**
   * Validates one event and queues it for the log; returns it with its sequence number and time.
   * On disk once `durable()` resolves. Throws for an invalid event, and once a write has failed.
   */
  append<T extends RunEventType>(type: T, payload: RunEventInput<T>): Extract<RunEvent, { type: T }> {
    if (this.closed) throw new Error(`run log ${this.file} is closed`);
    if (this.broken) throw this.broken;
    const event = runEventSchema.parse({ seq: this.events.length, time: Math.floor((this.options.clock ?? Date.now)()), type, payload }) as Extract<RunEvent, { type: T }>;
    this.queue.push({ line: Buffer.from(`${JSON.stringify(event)}\n`, 'utf8'), event });
    this.events.push(event);
    this.appended++;
    this.kick();
    return event;
  }

  /**
   * Resolves when every event appended so far is on disk (fdatasync'd, and a new log's directory entry
   * too); rejects with the write's failure (`StoreWriteError`, `RunLogConflictError`) if one was not.
   */
  async durable(): Promise<void> {
    const target = this.appended;
    while (this.synced < target && !this.broken) {
      this.kick();
      const pass = this.flushing;
      if (!pass) throw new Error(`run log ${this.file} was released before its events were written`);
      await pass;
    }
    if (this.broken) throw this.broken;
  }

  /** Makes everything durable, closes the file and releases the lock. Rejects if an event could not be written. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.durable();
    } finally {
      while (this.flushing) await this.flushing;
      this.release();
    }
  }

  /**
   * Closes without waiting (error paths): no more appends; what is queued is still written and
   * synced by the flusher, which then releases the lock. Prefer `close()`, which reports failures.
   */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.flushing || this.queue.length > 0) {
      this.releaseWhenIdle = true;
      this.kick();
    } else {
      this.release();
    }
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.closed = true;
    try {
      if (this.fd >= 0) fs.closeSync(this.fd);
    } catch {
      // The descriptor is gone either way; what was written is in the file.
    }
    this.fd = -1;
    this.lock.dispose();
    this.options.onClosed?.(this.file, this.events.slice(0, this.written + (this.events.length - this.appended)));
  }

  private attach(validBytes: number, torn: boolean): void {
    this.fd = fs.openSync(this.file, 'a');
    if (torn) fs.ftruncateSync(this.fd, validBytes);
    const st = fs.fstatSync(this.fd);
    this.ino = st.ino;
    this.bytes = st.size;
  }

  /** Starts a flusher pass after the caller's synchronous appends (so they share a batch), unless one is on. */
  private kick(): void {
    if (this.flushing || this.released) return;
    this.flushing = Promise.resolve().then(async () => {
      if (!this.released) await this.flush();
      this.flushing = undefined;
      if (this.released) return;
      // Appended after the pass looked at the queue for the last time: another pass, even after dispose().
      if (!this.broken && this.queue.length > 0) this.kick();
      else if (this.releaseWhenIdle) this.release();
    });
  }

  /** Writes and syncs batches until nothing is queued; a failure breaks the writer. Never throws. */
  private async flush(): Promise<void> {
    let what = 'the events';
    try {
      while (!this.broken && (this.queue.length > 0 || this.synced < this.written)) {
        if (this.queue.length > 0) {
          const batch = this.queue.splice(0);
          what = `the ${batch[0]!.event.type} event`;
          await this.writeBatch(batch);
        }
        what = 'the events';
        const target = this.written;
        const dir = this.dirPending;
        this.dirPending = false;
        await fdatasync(this.fd);
        if (dir) await fsyncDir(path.dirname(this.file));
        this.synced = Math.max(this.synced, target);
        await this.noteProgress();
      }
    } catch (e) {
      // Full disk or read-only store: a "could not record" error that names the event; the run stops before
      // the step it could not record and resumes once the store takes writes again.
      const fault = asStoreWriteError(e, `${what} of run ${this.runId}`, this.file);
      this.broken ??= isStoreWriteError(fault) || isRunLogConflictError(fault) ? fault : new Error(`could not write ${what} of run ${this.runId} to ${this.file}: ${String((e as Error).message)}`, { cause: e });
      this.queue.length = 0;
    }
  }

  private async writeBatch(batch: readonly Queued[]): Promise<void> {
    let from = 0;
    if (this.fd < 0) {
      await this.create(batch[0]!);
      from = 1;
    }
    if (from >= batch.length) return;
    if (this.options.onDurable) {
      // Test path: one event at a time, half a line on disk, then the hook (which may SIGKILL), then the rest.
      for (const { line, event } of batch.slice(from)) {
        await this.checkUnchanged();
        const half = Math.floor(line.length / 2);
        await this.writeLine(line, async (fd) => {
          await writeAll(fd, line.subarray(0, half));
          await fdatasync(fd);
          this.options.onDurable?.(event, 'mid');
          await writeAll(fd, line.subarray(half));
        });
        this.written++;
        this.options.onDurable(event, 'after');
      }
      return;
    }
    await this.checkUnchanged();
    const lines = batch.slice(from).map((q) => q.line);
    const buf = lines.length === 1 ? lines[0]! : Buffer.concat(lines);
    await this.writeLine(buf, (fd) => writeAll(fd, buf));
    this.written += lines.length;
  }

  /** Runs one write of `buf`; a failure cuts what it left, so no partial line stays in the log. */
  private async writeLine(buf: Buffer, write: (fd: number) => Promise<void>): Promise<void> {
    try {
      await write(this.fd);
    } catch (e) {
      try {
        await ftruncate(this.fd, this.bytes);
      } catch {
        // Nothing more to do: the next writer cuts a torn tail, and refuses a damaged line.
      }
      throw e;
    }
    this.bytes += buf.length;
  }

  /** The first event: written to a temp file and linked into place, so the log never exists without it. */
  private async create(first: Queued): Promise<void> {
    const tmp = `${this.file}.${this.lock.owner.nonce}.new`;
    try {
      await fs.promises.writeFile(tmp, first.line);
      // A kill here leaves no log at all: the run never started.
      this.options.onDurable?.(first.event, 'mid');
      await fs.promises.link(tmp, this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RunLogConflictError(this.file, 'another process created this run first');
      throw e;
    } finally {
      await fs.promises.rm(tmp, { force: true });
    }
    this.fd = await open(this.file, 'a');
    const st = await fstat(this.fd);
    this.ino = st.ino;
    this.bytes = st.size;
    this.dirPending = true;
    this.written++;
    this.options.onDurable?.(first.event, 'after');
  }

  /** The file at our path is still the one we opened, at the size we left it. */
  private async checkUnchanged(): Promise<void> {
    const size = (await fstat(this.fd)).size;
    if (size !== this.bytes) throw new RunLogConflictError(this.file, `${size} bytes where this writer left ${this.bytes}`);
    let ino: number;
    try {
      ino = (await fs.promises.stat(this.file)).ino;
    } catch {
      ino = -1;
    }
    if (ino !== this.ino) throw new RunLogConflictError(this.file, 'the file was moved or replaced');
  }

  private async noteProgress(): Promise<void> {
    const now = Date.now();
    if (!this.options.onProgress || this.released || now - this.progressAt < 1_000) return;
    this.progressAt = now;
    try {
      this.options.onProgress(this.file, this.events.slice(0, this.synced + (this.events.length - this.appended)), await fstat(this.fd));
    } catch {
      // Only a hint for the index: the log itself is what counts.
    }
  }
}

async function writeAll(fd: number, buf: Buffer): Promise<void> {
  let off = 0;
  while (off < buf.length) off += await call<number>((cb) => fs.write(fd, buf, off, buf.length - off, null, cb));
}

// The callback API in the thread pool, looked up at each call (the tests spy on `fs`).
const open = (file: string, flags: string) => call<number>((cb) => fs.open(file, flags, cb));
const fstat = (fd: number) => call<fs.Stats>((cb) => fs.fstat(fd, cb));
const ftruncate = (fd: number, len: number) => call<void>((cb) => fs.ftruncate(fd, len, cb));
const fdatasync = (fd: number) => call<void>((cb) => fs.fdatasync(fd, cb));

function call<T>(start: (cb: (err: NodeJS.ErrnoException | null, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((err, value) => (err ? reject(err) : resolve(value))));
}

