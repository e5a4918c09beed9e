import { createHash } from 'node:crypto';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomicFile';
import { readFileIfExists } from '../store/jsonlFile';
import { systemClock, type Clock } from './timers';

const cacheFileSchema = z.object({
  version: z.literal(1),
  entries: z.record(z.string(), z.object({ agent: z.string(), text: z.string(), at: z.number() })),
});
type CacheFile = z.infer<typeof cacheFileSchema>;

export interface CachedAnswer {
  readonly text: string;
  /** Epoch ms when the answer was given. */
  readonly at: number;
  readonly ageMs: number;
}

export interface AnswerCacheOptions {
  /** `StoreLayout.answerCache`; omit for memory only. */
  readonly file?: string;
  readonly clock?: Clock;
  /** Oldest answers are dropped beyond this many; defaults to 200. */
  readonly maxEntries?: number;
}

/**
 * The last good answer per agent and prompt, for the `cache` fallback. Keyed by a hash of agent and
 * prompt (the prompt itself is not stored); the file is rewritten atomically on each put.
 */
export class AnswerCache {
  private readonly entries = new Map<string, CacheFile['entries'][string]>();
  private readonly clock: Clock;
  private tail: Promise<void> = Promise.resolve();

  private constructor(private readonly options: AnswerCacheOptions) {
    this.clock = options.clock ?? systemClock;
  }

  /** Opens the cache; an unreadable file is reported through the result and the cache starts empty. */
  static async open(options: AnswerCacheOptions = {}): Promise<{ cache: AnswerCache; error?: Error }> {
    const cache = new AnswerCache(options);
    if (options.file === undefined) return { cache };
    const text = await readFileIfExists(options.file);
    if (text === undefined) return { cache };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      return { cache, error: new Error(`The answer cache ${options.file} is not JSON; starting empty`, { cause: err }) };
    }
    const parsed = cacheFileSchema.safeParse(json);
    if (!parsed.success) return { cache, error: new Error(`The answer cache ${options.file} is not valid (${z.prettifyError(parsed.error)}); starting empty`) };
    for (const [key, entry] of Object.entries(parsed.data.entries)) cache.entries.set(key, entry);
    return { cache };
  }

  /** The last good answer within `maxAgeMs`, if any. */
  get(agent: string, prompt: string, maxAgeMs: number): CachedAnswer | undefined {
    const entry = this.entries.get(keyOf(agent, prompt));
    if (!entry) return undefined;
    const ageMs = this.clock() - entry.at;
    return ageMs <= maxAgeMs ? { text: entry.text, at: entry.at, ageMs } : undefined;
  }

  /** Remembers a good answer; resolves when it is on disk. */
  put(agent: string, prompt: string, text: string): Promise<void> {
    const key = keyOf(agent, prompt);
    this.entries.delete(key);
    this.entries.set(key, { agent, text, at: this.clock() });
    const max = this.options.maxEntries ?? 200;
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= max) break;
      this.entries.delete(oldest);
    }
    const file = this.options.file;
    if (file === undefined) return Promise.resolve();
    const snapshot: CacheFile = { version: 1, entries: Object.fromEntries(this.entries) };
    const write = this.tail.then(() => writeFileAtomic(file, JSON.stringify(snapshot)));
    this.tail = write.catch(() => undefined);
    return write;
  }

  async flush(): Promise<void> {
    await this.tail;
  }
}

function keyOf(agent: string, prompt: string): string {
  return createHash('sha256').update(agent).update('\0').update(prompt).digest('hex');
}
