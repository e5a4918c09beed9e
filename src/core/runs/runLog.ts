import * as fs from 'node:fs';
import * as path from 'node:path';
import { runEventSchema, type RunEvent, type RunEventInput, type RunEventType } from './events';
import { acquireRunLock, type LockStep, type RunLock } from './runLock';
import { RunLogConflictError } from './runLogErrors';
import { replayRunLog, type Replay, type TornTail } from './runLogReplay';
import type { Disposable } from '../common/lifecycle';
import { asStoreWriteError, recording } from '../store/storeFaults';

export { replayRunLog, replayText, type LogDamage, type Replay, type ReplayFrom, type TornTail } from './runLogReplay';

export interface RunLogWriterOptions {
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /**
   * TEST HOOK for the crash tests: called after an event is written (`'after'`: a kill -9 from here on
   * finds it in the log) or, for `'mid'`, with half of its line written and synced. The CLI wires
   * `BREAKWATER_TEST_CRASH_AT` to it to SIGKILL itself.
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
   * Told, at most once a second after a group fsync, the events written so far and the file's stat:
   * the store keeps the run index close behind a long run, so a resume after a crash re-reads little.
   */
  readonly onProgress?: (file: string, events: readonly RunEvent[], st: fs.Stats) => void;
}

/**
 * The single writer of one run's log. Holds the run lock. `append` validates the event and writes it
 * to the file before it returns (a kill -9 from then on finds it); `durable()` resolves once every
 * event appended so far is fsync'd. Fsyncs run off the calling thread and are shared by every event
 * queued meanwhile (group commit), so the extension host never waits on the disk; a step whose side
 * effect must not start before its intent is on disk awaits `durable()` first.
 *
 * A log is created with its first event in one step (written to a temp file, then linked into place),
 * so it never exists empty. Before each append the writer checks that the file is still the one it
 * opened, at the size it left it: another writer, or a log moved away, stops it with
 * `RunLogConflictError` instead of interleaving.
 */
export class RunLogWriter implements Disposable {
  private fd = -1;
  private ino = -1;
  /** Bytes of the log this writer knows of (the file's size after its last append). */
  private bytes = 0;
  private broken: Error | undefined;
  private appended = 0;
  private synced = 0;
  private syncing: Promise<void> | undefined;
  private dirPending = false;
  private closed = false;
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

  get all(): readonly RunEvent[] {
    return this.events;
  }

  /** Validates and writes one event; returns it with its sequence number and time. Durable after `durable()`. */
  append<T extends RunEventType>(type: T, payload: RunEventInput<T>): Extract<RunEvent, { type: T }> {
    if (this.closed) throw new Error(`run log ${this.file} is closed`);
    if (this.broken) throw this.broken;
    const event = runEventSchema.parse({ seq: this.events.length, time: Math.floor((this.options.clock ?? Date.now)()), type, payload }) as Extract<RunEvent, { type: T }>;
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    try {
      if (this.fd < 0) this.create(line, event);
      else this.write(line, event);
    } catch (err) {
      // Full disk or read-only store: a "could not record" error that names the event; the run stops before
      // the step it could not record and resumes once the store takes writes again.
      const recorded = asStoreWriteError(err, `the ${type} event of run ${this.runId}`, this.file) as Error;
      if (this.broken === err) this.broken = recorded;
      throw recorded;
    }
    this.events.push(event);
    this.appended++;
    this.scheduleSync();
    this.options.onDurable?.(event, 'after');
    return event;
  }

  /** Resolves when every event appended so far is fsync'd (and a new log's directory entry too). */
  async durable(): Promise<void> {
    while (this.synced < this.appended && !this.broken) {
      this.scheduleSync();
      if (!this.syncing) break;
      await this.syncing;
    }
    if (this.broken) throw this.broken;
  }

  /** Makes everything durable, closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      if (this.fd >= 0) await this.durable();
    } finally {
      this.release();
    }
  }

  /** Closes at once (error paths): fsyncs synchronously only if something is not durable yet. */
  dispose(): void {
    if (this.closed) return;
    try {
      if (this.fd >= 0 && this.synced < this.appended && !this.broken) fs.fsyncSync(this.fd);
    } catch {
      // The caller is already failing; the events are in the page cache, safe from a process crash.
    } finally {
      this.release();
    }
  }

  private release(): void {
    this.closed = true;
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    this.lock.dispose();
    this.options.onClosed?.(this.file, this.events);
  }

  private attach(validBytes: number, torn: boolean): void {
    this.fd = fs.openSync(this.file, 'a');
    if (torn) fs.ftruncateSync(this.fd, validBytes);
    const st = fs.fstatSync(this.fd);
    this.ino = st.ino;
    this.bytes = st.size;
  }

  /** The first event: written to a temp file and linked into place, so the log never exists without it. */
  private create(line: Buffer, event: RunEvent): void {
    const tmp = `${this.file}.${this.lock.owner.nonce}.new`;
    fs.writeFileSync(tmp, line);
    try {
      // A kill here leaves no log at all: the run never started.
      this.options.onDurable?.(event, 'mid');
      fs.linkSync(tmp, this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new RunLogConflictError(this.file, 'another process created this run first');
      throw e;
    } finally {
      fs.rmSync(tmp, { force: true });
    }
    this.fd = fs.openSync(this.file, 'a');
    const st = fs.fstatSync(this.fd);
    this.ino = st.ino;
    this.bytes = st.size;
    this.dirPending = true;
  }

  private write(line: Buffer, event: RunEvent): void {
    this.checkUnchanged();
    try {
      if (this.options.onDurable) {
        // Test path: half a line on disk, then the hook (which may SIGKILL), then the rest.
        const half = Math.floor(line.length / 2);
        writeAll(this.fd, line.subarray(0, half));
        fs.fsyncSync(this.fd);
        this.options.onDurable(event, 'mid');
        writeAll(this.fd, line.subarray(half));
      } else {
        writeAll(this.fd, line);
      }
    } catch (e) {
      // A partial line must not stay in the middle of the log: cut it, and write nothing more.
      this.broken = e as Error;
      try {
        fs.ftruncateSync(this.fd, this.bytes);
      } catch {
        // Nothing more to do: the next writer cuts a torn tail, and refuses a damaged line.
      }
      throw e;
    }
    this.bytes += line.length;
  }

  /** The file at our path is still the one we opened, at the size we left it. */
  private checkUnchanged(): void {
    const size = fs.fstatSync(this.fd).size;
    if (size !== this.bytes) this.fail(new RunLogConflictError(this.file, `${size} bytes where this writer left ${this.bytes}`));
    let ino: number;
    try {
      ino = fs.statSync(this.file).ino;
    } catch {
      ino = -1;
    }
    if (ino !== this.ino) this.fail(new RunLogConflictError(this.file, 'the file was moved or replaced'));
  }

  private fail(e: Error): never {
    this.broken = e;
    throw e;
  }

  private noteProgress(): void {
    const now = Date.now();
    if (!this.options.onProgress || this.closed || now - this.progressAt < 1_000) return;
    this.progressAt = now;
    try {
      this.options.onProgress(this.file, this.events, fs.fstatSync(this.fd));
    } catch {
      // Only a hint for the index: the log itself is what counts.
    }
  }

  /** Group commit: one fsync at a time; it covers every event written before it started. */
  private scheduleSync(): void {
    if (this.syncing || this.synced >= this.appended || this.fd < 0) return;
    const target = this.appended;
    const fd = this.fd;
    const dir = this.dirPending;
    this.dirPending = false;
    this.syncing = (async () => {
      try {
        await fsyncFd(fd);
        if (dir) await fsyncDir(path.dirname(this.file));
        this.synced = Math.max(this.synced, target);
        this.noteProgress();
      } catch (e) {
        const fault = asStoreWriteError(e, `the events of run ${this.runId}`, this.file);
        this.broken ??= fault !== e ? (fault as Error) : new Error(`could not make ${this.file} durable (run ${this.runId}): ${(e as Error).message}`, { cause: e });
      } finally {
        this.syncing = undefined;
      }
      // Events appended while this fsync ran get the next one, awaited or not.
      if (!this.closed && !this.broken && this.synced < this.appended) this.scheduleSync();
    })();
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off);
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (err) => (err ? reject(err) : resolve())));
}

/** A new file's directory entry must be durable too, or the whole log can vanish after a power cut. */
async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Not supported on every platform (Windows); the file's own fsync still holds its content.
  } finally {
    await handle?.close();
  }
}
