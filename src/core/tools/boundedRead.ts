import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { capText, looksBinary, type CappedText, type OutputCap } from '../sandbox/outputCap';

export type TextEncodingName = 'utf8' | 'latin1' | 'ascii' | 'utf16le';

export type BoundedReadResult =
  | { readonly kind: 'missing' }
  | { readonly kind: 'binary'; readonly size: number }
  | ({ readonly kind: 'text'; readonly encoding: TextEncodingName } & CappedText);

/** Bytes read per step while counting the lines past the part that is returned (one buffer, reused). */
const COUNT_CHUNK = 1 << 20;
const BINARY_SAMPLE = 8192;

/**
 * Reads a file for the model in memory bounded by the output cap, whatever its size: only the first
 * `cap.maxBytes` (of output) are read and decoded; binary and a UTF-16 byte-order mark are detected on
 * the first 8 KiB; the rest is streamed through one 1 MiB buffer to count its lines for the truncation
 * marker, never held. Never follows a link at the final component (the sandbox resolved it already).
 *
 * @param encoding as the model asked; undefined: UTF-8, or UTF-16LE when the file starts with its BOM.
 */
export async function readBounded(realPath: string, cap: OutputCap, encoding: TextEncodingName | undefined, hint: string, signal?: AbortSignal): Promise<BoundedReadResult> {
  let handle: fs.promises.FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO would otherwise wait for a writer for ever; a regular file ignores it.
    handle = await fs.promises.open(realPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${realPath} is not a regular file (a pipe, socket or device); read only reads files`);
    const sample = await readAt(handle, 0, Math.min(st.size, BINARY_SAMPLE));
    const bom16 = sample.length >= 2 && sample[0] === 0xff && sample[1] === 0xfe;
    const enc: TextEncodingName = encoding ?? (bom16 ? 'utf16le' : 'utf8');
    // UTF-16 text is full of NUL bytes: when it was asked for (or announced by its BOM), it is text.
    if (enc !== 'utf16le' && looksBinary(sample)) return { kind: 'binary', size: st.size };
    // Enough source bytes for a full cap of output (UTF-16 takes two bytes per character), plus one character.
    const want = enc === 'utf16le' ? cap.maxBytes * 2 + 4 : cap.maxBytes + 4;
    const head = want >= st.size ? await readAt(handle, 0, st.size) : await readAt(handle, 0, want);
    const decoder = new StringDecoder(enc);
    // A character split at the end of the part read is left out, not shown as U+FFFD.
    const text = head.length >= st.size ? decoder.write(head) + decoder.end() : decoder.write(head);
    if (head.length >= st.size) return { kind: 'text', encoding: enc, ...capText(text, cap, hint) };
    const lines = await countLines(handle, head, st.size, enc, signal);
    return { kind: 'text', encoding: enc, ...capText(text, cap, hint, { lines, bytes: st.size }) };
  } finally {
    await handle.close();
  }
}

/** Reads `length` bytes at `position` (a short read is continued; the file may shrink meanwhile). */
async function readAt(handle: fs.promises.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === length ? buf : buf.subarray(0, got);
}

/** Lines of the whole file (newlines + 1, as `split('\n')` counts them): `head` counted, the rest streamed. */
async function countLines(handle: fs.promises.FileHandle, head: Buffer, size: number, enc: TextEncodingName, signal: AbortSignal | undefined): Promise<number> {
  // In UTF-16LE a newline is 0A 00 at an even offset; elsewhere it is the byte 0A (never part of a UTF-8 sequence).
  const wide = enc === 'utf16le';
  let newlines = 0;
  const count = (chunk: Buffer, offset: number) => {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) {
      if (!wide) newlines++;
      else if ((offset + i) % 2 === 0 && (i + 1 < chunk.length ? chunk[i + 1] === 0 : true)) newlines++;
    }
  };
  count(head, 0);
  const buf = Buffer.allocUnsafe(COUNT_CHUNK);
  let position = head.length;
  while (position < size) {
    signal?.throwIfAborted();
    const { bytesRead } = await handle.read(buf, 0, Math.min(COUNT_CHUNK, size - position), position);
    if (bytesRead === 0) break;
    count(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead), position);
    position += bytesRead;
  }
  return newlines + 1;
}
