import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { recording } from './storeFaults';
import { asError } from '../common/asError';

/** One complete line read from a segment. */
export interface LogLine {
  readonly text: string;
  /** 1-based line number in its segment file. */
  readonly line: number;
}

const SEGMENT = /^(\d{8})\.jsonl$/;
const READ_CHUNK = 64 * 1024;

/**
 * An append-only log shared by every process using one folder, in numbered segments (`00000001.jsonl`, …).
 * Appends are single `write`s to a file opened with O_APPEND, so the kernel orders them and no lock is taken:
 * a process killed at any point blocks nobody. Each record is written as `\n<json>\n`, so a record torn by
 * a full disk or a power cut stays on its own line instead of swallowing the next one. A segment starts
 * with a header line, is created whole (written to a temporary file, then linked into place: exactly one
 * creator wins) and is never rewritten; the next one replaces it when it is sealed.
 */
export class SegmentedLog {
  private fd = -1;
  private offset = 0;
  private lineNo = 0;
  private pending: Buffer = Buffer.alloc(0);
  private gen = 0;
  /** Why the open segment could only be opened for reading. */
  private readOnlyCode: Error | undefined;

  constructor(readonly dir: string) {}

  get generation(): number {
    return this.gen;
  }

  get file(): string {
    return this.pathOf(this.gen);
  }

  pathOf(gen: number): string {
    return path.join(this.dir, `${String(gen).padStart(8, '0')}.jsonl`);
  }

  /** The newest segment's generation, or 0 when there is none. */
  newest(): number {
    let max = 0;
    for (const name of fs.readdirSync(this.dir)) {
      const m = SEGMENT.exec(name);
      if (m) max = Math.max(max, Number(m[1]));
    }
    return max;
  }

  /** Creates segment `gen` with `header` as its first line unless another process did first; returns whether we did. */
  create(gen: number, header: string): boolean {
    const target = this.pathOf(gen);
    const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    return recording('a new segment of the shared state', target, () => {
      fs.mkdirSync(this.dir, { recursive: true });
      fs.writeFileSync(tmp, `${header}\n`, { mode: 0o600 });
      try {
        fs.linkSync(tmp, target);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      } finally {
        fs.rmSync(tmp, { force: true });
      }
    });
  }

  /**
   * Opens segment `gen` for appending and reading from its start; false if it no longer exists. A store that
   * cannot take writes (read-only, no permission) is opened for reading: figures can be shown, and the first
   * append fails with `StoreWriteError`.
   */
  open(gen: number): boolean {
    let fd: number;
    this.readOnlyCode = undefined;
    try {
      fd = fs.openSync(this.pathOf(gen), fs.constants.O_RDWR | fs.constants.O_APPEND);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return false;
      if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') throw err;
      fd = fs.openSync(this.pathOf(gen), fs.constants.O_RDONLY);
      this.readOnlyCode = asError(err);
    }
    this.close();
    this.fd = fd;
    this.gen = gen;
    this.offset = 0;
    this.lineNo = 0;
    this.pending = Buffer.alloc(0);
    return true;
  }

  /** Appends one record (a single write; O_APPEND puts it after everything any process wrote before). */
  append(json: string, what: string): void {
    const buf = Buffer.from(`\n${json}\n`, 'utf8');
    recording(what, this.file, () => {
      if (this.readOnlyCode !== undefined) throw this.readOnlyCode;
      let off = 0;
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
    });
  }

  /** Complete lines appended since the last read (empty lines skipped), in file order. */
  readNew(): LogLine[] {
    const lines: LogLine[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(READ_CHUNK);
      const n = fs.readSync(this.fd, chunk, 0, READ_CHUNK, this.offset);
      if (n <= 0) break;
      this.offset += n;
      // Split on bytes, so a character cut by the chunk boundary is decoded whole with its line.
      const buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(10, start); nl !== -1; nl = buf.indexOf(10, start)) {
        this.lineNo++;
        if (nl > start) lines.push({ text: buf.toString('utf8', start, nl), line: this.lineNo });
        start = nl + 1;
      }
      // What follows the last newline is a record still being written (or torn): kept for the next read.
      this.pending = Buffer.from(buf.subarray(start));
      if (n < READ_CHUNK) break;
    }
    return lines;
  }

  /** Bytes in the open segment, and whether it was deleted (this process fell more than a segment behind). */
  stat(): { size: number; removed: boolean } {
    const st = fs.fstatSync(this.fd);
    return { size: st.size, removed: st.nlink === 0 };
  }

  /**
   * Deletes segments before `below` that nobody has written for `idleMs` (the caller keeps a few behind the open
   * one, so a process that has not yet read their seals still finds the next segment, and an old one's name never
   * becomes free while a process that fell behind could still create it again); processes reading a deleted one
   * keep their open files.
   */
  removeOlder(below: number, idleMs: number): void {
    const now = Date.now();
    for (const name of fs.readdirSync(this.dir)) {
      const m = SEGMENT.exec(name);
      if (!m || Number(m[1]) >= below) continue;
      const file = path.join(this.dir, name);
      try {
        if (now - fs.statSync(file).mtimeMs >= idleMs) fs.rmSync(file, { force: true });
      } catch {
        // Removed by another process meanwhile.
      }
    }
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}
