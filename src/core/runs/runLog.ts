import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Disposable } from '../common/lifecycle';
import { parseRunEvent, runEventSchema, type RunEvent, type RunEventInput, type RunEventType } from './events';
import { acquireRunLock } from './runLock';
import { RunLogCorruptError } from './runLogErrors';
import { asStoreWriteError, recording } from '../store/storeFaults';

export interface TornTail {
  /** 1-based line number of the incomplete last line. */
  readonly line: number;
  /** Bytes of it that were on disk. */
  readonly bytes: number;
}

export interface Replay {
  readonly events: RunEvent[];
  /** A crash in the middle of the last append left a partial line; it is ignored (and cut off by the next writer). */
  readonly tornTail?: TornTail;
  /** Byte length of the complete lines. */
  readonly validBytes: number;
}

/**
 * Reads a run log. Only the LAST line may be incomplete (a crash mid-append); any invalid line
 * before it throws `RunLogCorruptError` naming the file and line.
 */
export function replayRunLog(file: string): Replay {
  return replayText(file, fs.readFileSync(file));
}

export function replayText(file: string, buf: Buffer): Replay {
  const events: RunEvent[] = [];
  let start = 0;
  let line = 0;
  while (start < buf.length) {
    line++;
    const nl = buf.indexOf(10, start);
    if (nl === -1) {
      // No newline: this append never finished. Tolerated whether or not the fragment happens to parse.
      return { events, tornTail: { line, bytes: buf.length - start }, validBytes: start };
    }
    const text = buf.toString('utf8', start, nl);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new RunLogCorruptError(file, line, `not JSON: ${(e as Error).message}`);
    }
    const parsed = parseRunEvent(value);
    if (!parsed.ok) throw new RunLogCorruptError(file, line, parsed.error);
    if (parsed.event.seq !== events.length) throw new RunLogCorruptError(file, line, `sequence ${parsed.event.seq} where ${events.length} was expected`);
    events.push(parsed.event);
    start = nl + 1;
  }
  return { events, validBytes: start };
}

export interface RunLogWriterOptions {
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /**
   * TEST HOOK for the crash tests: called after an event is durable (`'after'`) or, for `'mid'`, with
   * half of its line written and synced. The CLI wires `BREAKWATER_TEST_CRASH_AT` to it to SIGKILL itself.
   */
  readonly onDurable?: (event: RunEvent, stage: 'mid' | 'after') => void;
}

/**
 * The single writer of one run's log. Holds the run lock; every append is written and fsync'd before
 * `append` returns, so the step it records may be taken only after the record is on disk.
 */
export class RunLogWriter implements Disposable {
  private constructor(
    readonly file: string,
    private fd: number,
    private readonly lock: Disposable,
    private readonly events: RunEvent[],
    readonly repairedTail: TornTail | undefined,
    private readonly options: RunLogWriterOptions,
    /** Bytes of complete lines: a failed append is cut back to this, so it never leaves half a line. */
    private bytes: number,
  ) {}

  /** Opens (or creates) the log for writing; takes the run lock and cuts off a torn last line. */
  static open(file: string, runId: string, options: RunLogWriterOptions = {}): RunLogWriter {
    // A full or read-only store stops the run here, before anything it could not record.
    return recording(`the log of run ${runId}`, file, () => RunLogWriter.openWritable(file, runId, options));
  }

  private static openWritable(file: string, runId: string, options: RunLogWriterOptions): RunLogWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const lock = acquireRunLock(`${file}.lock`, runId);
    try {
      const replay = fs.existsSync(file) ? replayRunLog(file) : { events: [], validBytes: 0, tornTail: undefined };
      if (replay.tornTail) fs.truncateSync(file, replay.validBytes);
      const fd = fs.openSync(file, 'a');
      if (replay.events.length === 0) fsyncDir(path.dirname(file));
      return new RunLogWriter(file, fd, lock, replay.events, replay.tornTail, options, replay.validBytes);
    } catch (e) {
      lock.dispose();
      throw e;
    }
  }

  get all(): readonly RunEvent[] {
    return this.events;
  }

  /** Validates, writes and fsyncs one event; returns it with its sequence number and time. */
  append<T extends RunEventType>(type: T, payload: RunEventInput<T>): Extract<RunEvent, { type: T }> {
    if (this.fd < 0) throw new Error(`run log ${this.file} is closed`);
    const event = runEventSchema.parse({ seq: this.events.length, time: Math.floor((this.options.clock ?? Date.now)()), type, payload }) as Extract<RunEvent, { type: T }>;
    const line = Buffer.from(`${JSON.stringify(event)}\n`, 'utf8');
    try {
      if (this.options.onDurable) {
        const half = Math.floor(line.length / 2);
        fs.writeSync(this.fd, line, 0, half);
        fs.fsyncSync(this.fd);
        this.options.onDurable(event, 'mid');
        fs.writeSync(this.fd, line, half);
      } else {
        writeAll(this.fd, line);
      }
      fs.fsyncSync(this.fd);
    } catch (err) {
      // Full disk or read-only store: cut the partial line off, so the run resumes cleanly once space is back.
      try {
        fs.ftruncateSync(this.fd, this.bytes);
      } catch {
        // The next writer cuts a torn last line off anyway (see `open`).
      }
      throw asStoreWriteError(err, `the ${type} event of run ${path.basename(this.file, '.jsonl')}`, this.file);
    }
    this.bytes += line.length;
    this.events.push(event);
    this.options.onDurable?.(event, 'after');
    return event;
  }

  dispose(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
    this.lock.dispose();
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += fs.writeSync(fd, buf, off);
}

/** A new file's directory entry must be durable too, or the whole log can vanish after a power cut. */
function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, 'r');
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Not supported on every platform (Windows); the file's own fsync still holds its content.
  }
}
