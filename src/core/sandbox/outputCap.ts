/** Limits on what a tool hands back to the model; beyond them the output ends with an explicit marker. */
export interface OutputCap {
  /** Bytes of UTF-8 output, defaults to 100 000. */
  readonly maxBytes: number;
  /** Lines of output, defaults to 2 000. */
  readonly maxLines: number;
}

export const DEFAULT_OUTPUT_CAP: OutputCap = { maxBytes: 100_000, maxLines: 2_000 };

export interface CappedText {
  readonly text: string;
  readonly truncated: boolean;
}

/** The size of everything when `capText` is given only its beginning (a large file read in part). */
export interface WholeSize {
  readonly lines: number;
  readonly bytes: number;
}

/**
 * Cuts `text` to the cap on a line (or character) boundary and says what was left out. With `whole`,
 * `text` is only the beginning of the content, which is then always reported as truncated, against
 * the whole's size.
 */
export function capText(text: string, cap: OutputCap = DEFAULT_OUTPUT_CAP, hint = 'ask for a smaller part', whole?: WholeSize): CappedText {
  const lines = text.split('\n');
  const totalBytes = whole?.bytes ?? Buffer.byteLength(text, 'utf8');
  const totalLines = whole?.lines ?? lines.length;
  if (whole === undefined && lines.length <= cap.maxLines && totalBytes <= cap.maxBytes) return { text, truncated: false };
  let kept = lines.slice(0, cap.maxLines).join('\n');
  if (Buffer.byteLength(kept, 'utf8') > cap.maxBytes) {
    // Cut on a character boundary: decoding a byte prefix drops a split multi-byte character.
    kept = Buffer.from(kept, 'utf8').subarray(0, cap.maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  }
  const keptLines = kept.split('\n').length;
  const marker = `\n[output truncated: showing ${keptLines} of ${totalLines} lines, ${Buffer.byteLength(kept, 'utf8')} of ${totalBytes} bytes; ${hint}]`;
  return { text: kept + marker, truncated: true };
}

/**
 * True for content that is not text: a NUL byte in the first 8 KiB, or more than 10 % of the
 * sample failing to decode as UTF-8.
 */
export function looksBinary(data: Buffer): boolean {
  const sample = data.subarray(0, 8192);
  if (sample.includes(0)) return true;
  if (sample.length === 0) return false;
  const decoded = new TextDecoder('utf-8', { fatal: false }).decode(sample);
  let bad = 0;
  for (const ch of decoded) if (ch === '\uFFFD') bad++;
  // A multi-byte character cut at the end of the sample is not evidence of binary.
  return bad / decoded.length > 0.1;
}

/** Collects a stream's chunks up to a byte budget, remembering how much more there was. */
export class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  get overflowed(): boolean {
    return this.total > this.kept;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}
