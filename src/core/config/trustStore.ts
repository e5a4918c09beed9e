import * as fs from 'node:fs';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomicFile';
import { readFileIfExists } from '../store/jsonlFile';
import { confirmedFoldersSchema, trustFolderKey, type Confirmations, type SensitiveValue } from './trust';

/**
 * The CLI's confirmations of workspace values, in user scope (`$XDG_STATE_HOME/breakwater/trust.json`):
 * `{ version: 1, folders: { "/abs/folder": { "providers.anthropic.base_url": { hash, value, confirmed_at } } } }`.
 * Written whole and atomically under a lock (two confirmations at once both land); a file that does not parse is
 * reported, treated as empty, and kept aside as `trust.json.corrupt-<time>` at the next write, never overwritten.
 */

const fileSchema = z.object({ version: z.literal(1), folders: confirmedFoldersSchema });
export type TrustFileContent = z.infer<typeof fileSchema>;

const EMPTY: TrustFileContent = { version: 1, folders: {} };

export interface TrustFileOptions {
  /** Told when the file cannot be used (corrupt); the store then behaves as if empty. */
  readonly onWarning?: (message: string) => void;
  /** Epoch milliseconds; defaults to `Date.now`. */
  readonly clock?: () => number;
  /** How long `confirm` waits for another process's lock, in milliseconds; defaults to 10 s. */
  readonly lockTimeoutMs?: number;
}

type Parsed = { readonly ok: true; readonly content: TrustFileContent } | { readonly ok: false; readonly why: string };

export class TrustFile implements Confirmations {
  private constructor(
    readonly file: string,
    private content: TrustFileContent,
    private corrupt: boolean,
    private readonly options: TrustFileOptions,
  ) {}

  /** Reads the file (a missing one is empty; a corrupt one is reported through `onWarning` and read as empty). */
  static async open(file: string, options: TrustFileOptions = {}): Promise<TrustFile> {
    const parsed = parseTrustFile(await readFileIfExists(file));
    if (!parsed.ok) options.onWarning?.(`${file} is not a valid confirmations file (${parsed.why}); no workspace value counts as confirmed until it is fixed or replaced (the next confirmation keeps the old file as ${file}.corrupt-…)`);
    return new TrustFile(file, parsed.ok ? parsed.content : EMPTY, !parsed.ok, options);
  }

  isConfirmed(folder: string, key: string, hash: string): boolean {
    return this.content.folders[trustFolderKey(folder)]?.[key]?.hash === hash;
  }

  /** Records `values` as confirmed for `folder` (merged with what other processes wrote meanwhile). */
  async confirm(folder: string, values: readonly Pick<SensitiveValue, 'key' | 'hash' | 'display'>[]): Promise<void> {
    const lock = await this.lock();
    try {
      // Re-read under the lock: another process may have confirmed something since `open`.
      const current = parseTrustFile(await readFileIfExists(this.file));
      if (!current.ok || this.corrupt) this.keepCorruptCopy();
      const content: TrustFileContent = current.ok ? current.content : structuredClone(EMPTY);
      const at = new Date((this.options.clock ?? Date.now)()).toISOString();
      const folderKey = trustFolderKey(folder);
      const entries = (content.folders[folderKey] ??= {});
      for (const v of values) entries[v.key] = { hash: v.hash, value: v.display, confirmed_at: at };
      await writeFileAtomic(this.file, `${JSON.stringify(content, null, 2)}\n`);
      this.content = content;
      this.corrupt = false;
    } finally {
      await lock.dispose();
    }
  }

  private keepCorruptCopy(): void {
    if (!fs.existsSync(this.file)) return;
    const aside = `${this.file}.corrupt-${new Date((this.options.clock ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`;
    fs.copyFileSync(this.file, aside);
    this.options.onWarning?.(`kept the unreadable ${this.file} as ${aside}`);
  }

  /**
   * `trust.json.lock` (a directory, made atomically by proper-lockfile and kept fresh while held): a writer killed
   * with -9 leaves a lock that goes stale after 2 s and is then taken over.
   */
  private async lock(): Promise<{ dispose(): Promise<void> }> {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 10_000);
    const fail = (e: unknown) => new Error(`could not lock ${this.file} to record the confirmation: ${(e as Error).message}`, { cause: e });
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
    } catch (e) {
      throw fail(e);
    }
    for (;;) {
      try {
        const release = await lockfile.lock(this.file, {
          realpath: false,
          stale: 2000,
          update: 500,
          onCompromised: (e) => this.options.onWarning?.(`the lock of ${this.file} was taken over while held (${e.message})`),
        });
        return { dispose: () => release().catch(() => undefined) };
      } catch (e) {
        // Held by another writer: wait for it. Anything else (a full disk, a read-only folder) fails now.
        if ((e as NodeJS.ErrnoException).code !== 'ELOCKED' || Date.now() > deadline) throw fail(e);
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
  }
}

export function parseTrustFile(text: string | undefined): Parsed {
  if (text === undefined) return { ok: true, content: structuredClone(EMPTY) };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, why: `not JSON: ${(e as Error).message}` };
  }
  const r = fileSchema.safeParse(json);
  return r.success ? { ok: true, content: r.data } : { ok: false, why: r.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).slice(0, 3).join('; ') };
}
