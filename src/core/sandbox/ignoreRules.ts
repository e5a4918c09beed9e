import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';

/** The file with gitignore syntax whose matches agents can neither read, write nor see. */
export const IGNORE_FILE = '.breakwaterignore';

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly matcher: Ignore;
}

/**
 * `.breakwaterignore` at the root of each workspace folder, reloaded when the file changes so an
 * edit by the user takes effect on the next call without a restart.
 */
export class IgnoreRules {
  private readonly cache = new Map<string, Cached | null>();

  /** True when `relativePath` (forward slashes, relative to `folder`) or any parent folder of it is ignored. */
  isIgnored(folder: string, relativePath: string, isDirectory = false): boolean {
    if (relativePath === '' || relativePath === '.') return false;
    const matcher = this.matcherFor(folder);
    if (matcher === undefined) return false;
    const candidate = isDirectory ? `${relativePath}/` : relativePath;
    try {
      return matcher.ignores(candidate);
    } catch {
      // `ignore` throws on paths it considers invalid (e.g. leading `../`); those are never inside the folder.
      return true;
    }
  }

  /**
   * The folder's rules as they are now, for a caller that asks many times in a row (the OS sandbox's
   * scan of a folder): `version` changes whenever the ignore file does, `ignores` is `isIgnored` without
   * looking at the file again.
   */
  snapshot(folder: string): { readonly version: string; ignores(relativePath: string, isDirectory: boolean): boolean } {
    const matcher = this.matcherFor(folder);
    const cached = this.cache.get(folder);
    const version = matcher === undefined || !cached ? 'none' : `${cached.mtimeMs}:${cached.size}`;
    return {
      version,
      ignores(relativePath, isDirectory) {
        if (matcher === undefined || relativePath === '' || relativePath === '.') return false;
        try {
          return matcher.ignores(isDirectory ? `${relativePath}/` : relativePath);
        } catch {
          return true;
        }
      },
    };
  }

  /** Absolute path of the folder's ignore file when it exists (handed to ripgrep as `--ignore-file`). */
  ignoreFileOf(folder: string): string | undefined {
    return this.matcherFor(folder) === undefined ? undefined : path.join(folder, IGNORE_FILE);
  }

  private matcherFor(folder: string): Ignore | undefined {
    const file = path.join(folder, IGNORE_FILE);
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(file);
    } catch {
      this.cache.set(folder, null);
      return undefined;
    }
    const cached = this.cache.get(folder);
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.matcher;
    const matcher = ignore().add(fs.readFileSync(file, 'utf8'));
    this.cache.set(folder, { mtimeMs: stat.mtimeMs, size: stat.size, matcher });
    return matcher;
  }
}
