import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { userStateDir } from '../core/store/userStateDir';

/** Where the CLI's store is and how it was chosen. */
export interface StoreChoice {
  readonly dir: string;
  readonly from: 'flag' | 'env' | 'default';
}

/** The store folder before it moved out of the workspace (agents' tools could read it there). */
export const legacyStoreDir = (workspace: string) => path.join(workspace, '.breakwater', 'runs');

/**
 * The CLI's default store: `$XDG_STATE_HOME/breakwater/<workspace hash>`, by default
 * `~/.local/state/breakwater/<hash>`, where `<hash>` is the first 16 hex digits of the sha256 of the
 * workspace's real path. Out of the workspace, so no agent's tool can read approved secrets back from
 * run logs, and one per workspace, so `--runs` and `--resume` find the same runs from any directory.
 */
export function defaultStoreDir(workspace: string, env: Readonly<Record<string, string | undefined>>): string {
  let real = workspace;
  try {
    real = fs.realpathSync(workspace);
  } catch {
    // A workspace that cannot be resolved is rejected before the store is used.
  }
  return path.join(userStateDir(env), createHash('sha256').update(real).digest('hex').slice(0, 16));
}

/** `--store`, else `BREAKWATER_STORE`, else the default in the user's state dir. */
export function chooseStore(workspace: string, flag: string | undefined, cwd: string, env: Readonly<Record<string, string | undefined>>): StoreChoice {
  if (flag !== undefined) return { dir: path.resolve(cwd, flag), from: 'flag' };
  const fromEnv = env.BREAKWATER_STORE;
  if (fromEnv !== undefined && fromEnv !== '') return { dir: path.resolve(cwd, fromEnv), from: 'env' };
  return { dir: defaultStoreDir(workspace, env), from: 'default' };
}

/** File in a migrated store naming the folder it came from: a copy that got this far is complete. */
const MIGRATED_FROM = 'migrated-from';

export type MigrationResult =
  | { readonly kind: 'none' }
  | { readonly kind: 'moved'; readonly from: string; readonly to: string }
  /** Both exist and the new one is not a finished migration of the old one: nothing is touched. */
  | { readonly kind: 'both_exist'; readonly from: string; readonly to: string };

/**
 * Moves `<workspace>/.breakwater/runs` to the default store on first use. Same file system: one
 * `rename`, atomic (the runs are in one place or the other, never half in each). Across file systems:
 * a full copy into `<store>.migrating-<pid>` (marked with where it came from), one `rename` of the copy
 * into place, then the old folder is removed; a crash before the rename leaves the old store intact and
 * a temporary copy the next attempt removes, a crash after it leaves a complete new store that the next
 * attempt recognises by its marker and finishes by removing the old one. When the new store already
 * exists for any other reason, nothing is moved or merged and the caller warns.
 */
export function migrateLegacyStore(workspace: string, target: string): MigrationResult {
  const legacy = legacyStoreDir(workspace);
  if (!isDir(legacy)) return { kind: 'none' };
  removeStaleCopies(target);
  // An empty folder (made by hand, or by a run that stopped before writing) is no store yet.
  if (isDir(target) && fs.readdirSync(target).length === 0) fs.rmdirSync(target);
  if (fs.existsSync(target)) {
    if (readMarker(target) === legacy) {
      fs.rmSync(legacy, { recursive: true, force: true });
      return { kind: 'moved', from: legacy, to: target };
    }
    return { kind: 'both_exist', from: legacy, to: target };
  }
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  try {
    fs.renameSync(legacy, target);
    return { kind: 'moved', from: legacy, to: target };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another process moved it first: the store is in place.
    if (code === 'ENOENT' && isDir(target)) return { kind: 'moved', from: legacy, to: target };
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return { kind: 'both_exist', from: legacy, to: target };
    if (code !== 'EXDEV') throw err;
  }
  const copy = `${target}.migrating-${process.pid}`;
  fs.rmSync(copy, { recursive: true, force: true });
  fs.cpSync(legacy, copy, { recursive: true, preserveTimestamps: true, errorOnExist: true });
  fs.writeFileSync(path.join(copy, MIGRATED_FROM), legacy);
  fsyncTree(copy);
  try {
    fs.renameSync(copy, target);
  } catch (err) {
    fs.rmSync(copy, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // Another process finished the same migration first.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && readMarker(target) === legacy) return { kind: 'moved', from: legacy, to: target };
    throw err;
  }
  fs.rmSync(legacy, { recursive: true, force: true });
  return { kind: 'moved', from: legacy, to: target };
}

function readMarker(store: string): string | undefined {
  try {
    return fs.readFileSync(path.join(store, MIGRATED_FROM), 'utf8');
  } catch {
    return undefined;
  }
}

/** Copies left by a process killed mid-copy (their pid is gone). */
function removeStaleCopies(target: string): void {
  const dir = path.dirname(target);
  const prefix = `${path.basename(target)}.migrating-`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(n.slice(prefix.length));
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The copy is on disk before it is renamed into place: files, then their folders. */
function fsyncTree(dir: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) fsyncTree(p);
    else if (entry.isFile()) fsyncPath(p);
  }
  fsyncPath(dir);
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function isDir(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}
