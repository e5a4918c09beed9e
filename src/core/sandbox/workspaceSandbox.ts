import * as fs from 'node:fs';
import * as path from 'node:path';
import { IgnoreRules } from './ignoreRules';
import { baseFolderFor, containingFolder, isInsideFolder, pathFormProblem, toRelative } from './pathForms';

/** What the caller means to do with a path: writes never follow a link at the final component. */
export type PathIntent = 'read' | 'write';

export type PathRefusal = 'invalid' | 'outside' | 'ignored' | 'symlink' | 'special_file' | 'store';

export type ResolvedPath =
  | {
      readonly ok: true;
      /** The real path (symlinks resolved; for a new file, its nearest existing ancestor's real path + the rest). */
      readonly path: string;
      /** The real path of the workspace folder holding it; undefined only when `sandboxPaths` is off and it is outside. */
      readonly folder: string | undefined;
      /** Forward-slash path relative to `folder` (the absolute path when outside). */
      readonly relativePath: string;
      readonly kind: 'file' | 'directory' | 'missing';
    }
  | { readonly ok: false; readonly code: PathRefusal; readonly reason: string };

export interface WorkspaceSandboxOptions {
  /** Absolute workspace folder paths (multi-root). */
  readonly folders: readonly string[];
  /** Keep every path inside the folders (`settings.sandbox_paths`); defaults to true. */
  readonly sandboxPaths?: boolean;
  readonly ignoreRules?: IgnoreRules;
  /**
   * Folders no tool may touch whatever `sandboxPaths` says: the run store (run logs hold every tool
   * result, so secrets approved once would be readable again) and the old in-workspace layout
   * `.breakwater/runs`. Compared by real path and by the path as given.
   */
  readonly storeRoots?: readonly string[];
}

/** Refusal with a message the model can act on. */
function refuse(code: PathRefusal, reason: string): ResolvedPath {
  return { ok: false, code, reason };
}

/**
 * Resolves tool paths against the workspace folders. The oracle is simple and checked by property
 * tests: the real path of the target (or of its nearest existing ancestor) must lie inside a folder.
 */
export class WorkspaceSandbox {
  readonly ignoreRules: IgnoreRules;
  private readonly givenFolders: readonly string[];
  private readonly sandboxPaths: boolean;
  private readonly givenStoreRoots: readonly string[];

  constructor(options: WorkspaceSandboxOptions) {
    if (options.folders.length === 0) throw new Error('The tool sandbox needs at least one workspace folder; open a folder first.');
    this.givenFolders = options.folders.map((f) => path.resolve(f));
    this.sandboxPaths = options.sandboxPaths ?? true;
    this.ignoreRules = options.ignoreRules ?? new IgnoreRules();
    this.givenStoreRoots = (options.storeRoots ?? []).map((r) => path.resolve(r));
  }

  /** The store folders as given and as real paths (a store that does not exist yet: its nearest existing ancestor's real path + the rest). */
  storeRoots(): string[] {
    return [...new Set(this.givenStoreRoots.flatMap((r) => [r, realOrNearest(r)]))];
  }

  /** True when `absolutePath` (real or as given) lies inside the run store. */
  isStorePath(absolutePath: string): boolean {
    return this.storeRoots().some((root) => isInsideFolder(root, absolutePath, path));
  }

  /** Entries listings and searches leave out: ignored by `.breakwaterignore`, or inside the run store. */
  isHiddenPath(realPath: string, isDirectory: boolean): boolean {
    return this.isStorePath(realPath) || this.isIgnoredPath(realPath, isDirectory);
  }

  /** Real paths of the folders, recomputed each call so a folder replaced by a link is noticed. */
  realFolders(): string[] {
    return this.givenFolders.map((f) => {
      try {
        return fs.realpathSync(f);
      } catch {
        return f;
      }
    });
  }

  get defaultFolder(): string {
    // The constructor refuses an empty folder list, so there is always a first folder.
    const [first] = this.realFolders();
    if (first === undefined) throw new Error('The tool sandbox has no workspace folder.');
    return first;
  }

  async resolve(input: string, intent: PathIntent): Promise<ResolvedPath> {
    const formProblem = pathFormProblem(input, path);
    if (formProblem !== undefined) return refuse('invalid', `${formProblem}.`);
    const { folder: base, rest } = baseFolderFor(this.givenFolders, input, path);
    const lexical = path.isAbsolute(input) ? path.resolve(input) : path.resolve(base, rest);

    // Walk up to the nearest existing ancestor; everything below it does not exist yet.
    let existing = lexical;
    const tail: string[] = [];
    let finalStat: fs.Stats | undefined;
    for (;;) {
      try {
        const st = await fs.promises.lstat(existing);
        if (tail.length === 0) finalStat = st;
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT') return refuse('invalid', `cannot use "${input}": ${code ?? String(err)}.`);
        const parent = path.dirname(existing);
        if (parent === existing) return refuse('invalid', `no part of "${input}" exists.`);
        tail.unshift(path.basename(existing));
        existing = parent;
      }
    }
    if (finalStat?.isSymbolicLink() && intent === 'write') {
      return refuse('symlink', `"${input}" is a symbolic link; writes never follow links. Write to the file it points to instead.`);
    }
    let realExisting: string;
    try {
      realExisting = await fs.promises.realpath(existing);
    } catch (err) {
      return refuse('symlink', `"${input}" goes through a broken symbolic link (${(err as NodeJS.ErrnoException).code ?? 'unresolvable'}).`);
    }
    const real = tail.length === 0 ? realExisting : path.join(realExisting, ...tail);
    if (this.isStorePath(real) || this.isStorePath(lexical)) {
      return refuse('store', `"${input}" is inside Breakwater's run store, which agents' tools can never read or write (run logs keep every tool result).`);
    }

    const folders = this.realFolders();
    const folder = containingFolder(folders, real, path);
    if (folder === undefined && this.sandboxPaths) {
      const viaLink = containingFolder(folders, lexical, path) !== undefined;
      return refuse(
        'outside',
        viaLink
          ? `"${input}" resolves through a symbolic link to ${real}, outside the workspace folders.`
          : `"${input}" is outside the workspace folders (${folders.join(', ')}). Use a path inside the workspace.`,
      );
    }

    let kind: 'file' | 'directory' | 'missing' = 'missing';
    if (tail.length === 0) {
      const st = await fs.promises.stat(real);
      if (st.isFile()) kind = 'file';
      else if (st.isDirectory()) kind = 'directory';
      else return refuse('special_file', `"${input}" is a device, FIFO or socket; only regular files and folders can be used.`);
    }

    if (folder !== undefined) {
      const relativePath = toRelative(folder, real, path);
      if (this.ignoreRules.isIgnored(folder, relativePath, kind === 'directory') || this.lexicallyIgnored(lexical)) {
        return refuse('ignored', `"${input}" is excluded by .breakwaterignore; agents can neither read nor write it.`);
      }
      return { ok: true, path: real, folder, relativePath: relativePath === '' ? '.' : relativePath, kind };
    }
    return { ok: true, path: real, folder: undefined, relativePath: real, kind };
  }

  /** True when the absolute real path is inside a folder and matched by that folder's ignore file. */
  isIgnoredPath(realPath: string, isDirectory: boolean): boolean {
    const folder = containingFolder(this.realFolders(), realPath, path);
    if (folder === undefined) return false;
    return this.ignoreRules.isIgnored(folder, toRelative(folder, realPath, path), isDirectory);
  }

  /** The name the model used may itself be ignored even when a link makes the real path look innocent. */
  private lexicallyIgnored(lexical: string): boolean {
    const folder = containingFolder(this.givenFolders, lexical, path);
    if (folder === undefined) return false;
    const rel = toRelative(folder, lexical, path);
    return rel !== '' && this.ignoreRules.isIgnored(folder, rel) ;
  }
}

/** The real path of `p`, or of its nearest existing ancestor joined with the rest. */
function realOrNearest(p: string): string {
  const tail: string[] = [];
  let cur = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(cur), ...tail);
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return p;
      tail.unshift(path.basename(cur));
      cur = parent;
    }
  }
}
