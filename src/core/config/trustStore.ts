import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { readFileIfExists, writeFileAtomic } from '../resilience/durableFile';
import { acquireRunLock } from '../runs/runLock';
import { isRunLockedError } from '../runs/runLogErrors';
import { trustFolderKey, type Confirmations, type SensitiveValue } from './trust';

/**
 * The CLI's confirmations of workspace values, in user scope (`$XDG_STATE_HOME/breakwater/trust.json`):
 * `{ version: 1, folders: { "/abs/folder": { "providers.anthropic.base_url": { hash, value, confirmed_at } } } }`.
 * Written whole and atomically under a lock (two confirmations at once both land); a file that does not parse is
 * reported, treated as empty, and kept aside as `trust.json.corrupt-<time>` at the next write, never overwritten.
 */

const entrySchema = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), value: z.string(), confirmed_at: z.string() });
/** Confirmations by folder, then by key: the shape both hosts keep (the CLI in trust.json, VS Code in globalState). */
export const confirmedFoldersSchema = z.record(z.string(), z.record(z.string(), entrySchema));
export type ConfirmedFolders = z.infer<typeof confirmedFoldersSchema>;
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
      lock.dispose();
    }
  }

  private keepCorruptCopy(): void {
    if (!fs.existsSync(this.file)) return;
    const aside = `${this.file}.corrupt-${new Date((this.options.clock ?? Date.now)()).toISOString().replace(/[:.]/g, '-')}`;
    fs.copyFileSync(this.file, aside);
    this.options.onWarning?.(`kept the unreadable ${this.file} as ${aside}`);
  }

  private async lock(): Promise<{ dispose(): void }> {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 10_000);
    for (;;) {
      try {
        return acquireRunLock(`${this.file}.lock`, 'trust.json');
      } catch (e) {
        if (!isRunLockedError(e) || Date.now() > deadline) {
          throw new Error(`could not lock ${this.file} to record the confirmation: ${(e as Error).message}`, { cause: e });
        }
        await new Promise((r) => setTimeout(r, 25));
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
