import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { asError } from '../common/asError';

/**
 * Append-only JSONL (one JSON object per line, fsync per line) and the small reads that go with it.
 * Whole files are replaced with `writeFileAtomic` (./atomicFile).
 */

/** Reads a file, or `undefined` when it does not exist (any other error is thrown). */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Appends one JSON object per line, fsynced, in call order. Writes are serialised on one promise
 * chain so lines from concurrent callers never interleave; a failed write rejects that caller's
 * promise (and is remembered for `flush`) without blocking later lines.
 */
export class JsonlAppender {
  private tail: Promise<void> = Promise.resolve();
  private lastError: Error | undefined;
  private tailChecked = false;

  constructor(readonly file: string) {}

  append(record: unknown): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const write = this.tail.then(async () => {
      // A line torn by a crash must not swallow the next one: start on a fresh line.
      const prefix = this.tailChecked ? '' : await newlineNeeded(this.file);
      await appendLine(this.file, prefix + line);
      this.tailChecked = true;
    });
    this.tail = write.catch((err: unknown) => {
      this.lastError = asError(err);
    });
    return write;
  }

  /** Resolves when every line appended so far is on disk; rejects with the last write error, if any. */
  async flush(): Promise<void> {
    await this.tail;
    if (this.lastError !== undefined) {
      const err = this.lastError;
      this.lastError = undefined;
      throw err;
    }
  }
}

async function newlineNeeded(file: string): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return '';
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a ? '' : '\n';
  } finally {
    await handle.close();
  }
}

async function appendLine(file: string, line: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.open(file, 'a', 0o600);
  try {
    await handle.write(line);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

export interface JsonlReadResult<T> {
  readonly entries: T[];
  /** Lines that were not valid JSON or failed the schema (a torn last line after a crash, or a hand edit). */
  readonly invalidLines: number[];
}

/** Reads and validates a JSONL file; a missing file is empty. */
export async function readJsonl<S extends z.ZodType>(file: string, schema: S): Promise<JsonlReadResult<z.infer<S>>> {
  const text = await readFileIfExists(file);
  const entries: z.infer<S>[] = [];
  const invalidLines: number[] = [];
  if (text === undefined) return { entries, invalidLines };
  const lines = text.split('\n');
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      invalidLines.push(i + 1);
      continue;
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) entries.push(parsed.data);
    else invalidLines.push(i + 1);
  }
  return { entries, invalidLines };
}
