import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { breakerSnapshotSchema, type BreakerSnapshot } from './circuitBreaker';
import { readFileIfExists, writeFileAtomic } from './durableFile';

const breakerFileSchema = z.object({
  version: z.literal(1),
  breakers: z.record(z.string(), breakerSnapshotSchema),
});
type BreakerFile = z.infer<typeof breakerFileSchema>;

export type BreakerLoadResult =
  | { readonly ok: true; readonly breakers: ReadonlyMap<string, BreakerSnapshot> }
  | { readonly ok: false; readonly breakers: ReadonlyMap<string, BreakerSnapshot>; readonly error: Error };

/**
 * Provider breaker state on disk (`StoreLayout.breakers`), so a window reload or the next CLI
 * invocation sees an open breaker. Every save re-reads the file and replaces only its own entry, so
 * two processes sharing a store do not erase each other's breakers; saves are serialised and atomic.
 */
export class BreakerStore {
  private tail: Promise<void> = Promise.resolve();
  /** `mtime:size` of the file when it was last read or written here. */
  private lastLook: string | undefined;

  constructor(readonly file: string) {}

  /** Whether the file changed since this process last read or wrote it (another process saved a breaker). */
  async changedSinceLastLook(): Promise<boolean> {
    const now = await this.stamp();
    if (now === this.lastLook) return false;
    this.lastLook = now;
    return true;
  }

  private async stamp(): Promise<string | undefined> {
    try {
      const st = await fs.stat(this.file);
      return `${st.mtimeMs}:${st.size}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async load(): Promise<BreakerLoadResult> {
    // Stamp before reading: a save that lands in between then shows as a change at the next look.
    this.lastLook = await this.stamp().catch(() => undefined);
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.file);
    } catch (err) {
      return { ok: false, breakers: new Map(), error: new Error(`Could not read breaker state from ${this.file}`, { cause: err }) };
    }
    if (text === undefined) return { ok: true, breakers: new Map() };
    const parsed = parseFile(text);
    if (!parsed.ok) {
      return {
        ok: false,
        breakers: new Map(),
        error: new Error(`Breaker state in ${this.file} is not valid (${parsed.message}); starting with every breaker closed. Delete the file to silence this.`),
      };
    }
    return { ok: true, breakers: new Map(Object.entries(parsed.file.breakers)) };
  }

  /** Queues a write of one breaker's state; resolves when it is on disk. */
  save(name: string, snapshot: BreakerSnapshot): Promise<void> {
    const write = this.tail.then(async () => {
      const text = await readFileIfExists(this.file);
      const parsed = text === undefined ? undefined : parseFile(text);
      const file: BreakerFile = parsed?.ok ? parsed.file : { version: 1, breakers: {} };
      file.breakers[name] = snapshot;
      await writeFileAtomic(this.file, `${JSON.stringify(file, null, 2)}\n`);
      // Our own write is not news: only another process's save should make the next refresh re-read.
      this.lastLook = await this.stamp();
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  /** Resolves when every queued save has settled. */
  async flush(): Promise<void> {
    await this.tail;
  }
}

function parseFile(text: string): { ok: true; file: BreakerFile } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: `not JSON: ${(err as Error).message}` };
  }
  const r = breakerFileSchema.safeParse(json);
  return r.success ? { ok: true, file: r.data } : { ok: false, message: z.prettifyError(r.error) };
}
