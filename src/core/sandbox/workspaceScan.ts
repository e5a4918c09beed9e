import * as fs from 'node:fs';
import * as path from 'node:path';
import type { IgnoreRules } from './ignoreRules';
import { secretReadReason } from './protectedPaths';
import { SandboxSetupError } from './sandboxErrors';

/** What the OS sandbox must do about one workspace folder's contents. */
export interface WorkspaceFindings {
  /** Files shown empty and read-only (secrets, ignored files, ignored symlinks' targets). */
  readonly hiddenFiles: readonly string[];
  /** Folders shown empty and read-only (ignored folders). */
  readonly hiddenDirs: readonly string[];
  /** Existing protected paths kept read-only: `.git`, `.vscode`, `.breakwater` (any depth), `.breakwaterignore`. */
  readonly readOnly: readonly string[];
  /**
   * The protected names at the folder's root, present or not. Each is held through the stub registry
   * while a command runs: a missing one gets a stub (so it cannot be created), and one that is another
   * sandbox's stub is kept alive by this command's hold (so it is not removed under its mount).
   */
  readonly roots: readonly { readonly path: string; readonly kind: 'dir' | 'file' }[];
}

/** Protected names (lower case); matched case-insensitively like `protectedPaths.ts`. */
const PROTECTED_DIRS = new Set(['.git', '.vscode', '.breakwater']);
const PROTECTED_FILE = '.breakwaterignore';
/** Root-level protected names and the stub each gets while missing. */
const ROOT_PROTECTED: readonly { name: string; kind: 'dir' | 'file' }[] = [
  { name: '.git', kind: 'dir' },
  { name: '.vscode', kind: 'dir' },
  { name: '.breakwater', kind: 'dir' },
  { name: PROTECTED_FILE, kind: 'file' },
];
/** Beyond this many mounts bwrap's start slows down badly and the kernel may refuse; fail closed instead. */
export const MAX_SCAN_MOUNTS = 4000;
/**
 * A folder changed this recently (milliseconds) may change again within the same timestamp tick without
 * its mtime moving (coarse kernel clocks, 2 s on FAT), so its cached listing is not trusted next time.
 */
const SETTLE_MS = 2_000;

type EntryType = 'dir' | 'file' | 'symlink' | 'other';

interface DirRecord {
  readonly mtimeMs: number;
  readonly ino: number;
  /** The listing can be reused: the folder had not changed for SETTLE_MS when it was read. */
  readonly settled: boolean;
  readonly entries: readonly { readonly name: string; readonly type: EntryType }[];
  /** Classification of the entries under the ignore rules of `rulesVersion`. */
  classified?: { readonly rulesVersion: string; readonly found: Found; readonly descend: readonly string[] };
}

interface Found {
  hiddenFiles: string[];
  hiddenDirs: string[];
  readOnly: string[];
}

/**
 * Finds, per workspace folder, the secrets, ignored paths and protected paths the sandbox must mask or
 * keep read-only. A command needs the answer before it starts, so listings are cached per folder and
 * revalidated by the folder's mtime (one lstat per directory per call, no re-listing of unchanged ones).
 */
export class WorkspaceScanner {
  private readonly folders = new Map<string, Map<string, DirRecord>>();

  constructor(
    private readonly ignoreRules: IgnoreRules,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Scans `folder` (an absolute real path); `workspaceFolders` bounds where an ignored symlink's target is masked. */
  scan(folder: string, workspaceFolders: readonly string[]): WorkspaceFindings {
    const rules = this.ignoreRules.snapshot(folder);
    let records = this.folders.get(folder);
    if (records === undefined) {
      records = new Map();
      this.folders.set(folder, records);
    }
    const out: Found = { hiddenFiles: [], hiddenDirs: [], readOnly: [] };
    const seen = new Set<string>();
    const visit = (rel: string) => {
      seen.add(rel);
      const abs = rel === '' ? folder : path.join(folder, rel);
      const record = this.record(records, rel, abs);
      if (record === undefined) return;
      if (record.classified?.rulesVersion !== rules.version) {
        record.classified = { rulesVersion: rules.version, ...classify(folder, rel, record.entries, (p, dir) => rules.ignores(p, dir), workspaceFolders) };
      }
      const { found, descend } = record.classified;
      out.hiddenFiles.push(...found.hiddenFiles);
      out.hiddenDirs.push(...found.hiddenDirs);
      out.readOnly.push(...found.readOnly);
      if (out.hiddenFiles.length + out.hiddenDirs.length + out.readOnly.length > MAX_SCAN_MOUNTS) {
        throw new SandboxSetupError(
          `${folder} has more than ${MAX_SCAN_MOUNTS} secret, ignored or protected paths for the sandbox to hide one by one; list the folders that hold them in .breakwaterignore so each is hidden as a whole`,
        );
      }
      for (const child of descend) visit(rel === '' ? child : `${rel}/${child}`);
    };
    visit('');
    for (const key of records.keys()) if (!seen.has(key)) records.delete(key);
    const roots = rootProtection(folder);
    return { ...out, roots };
  }

  private record(records: Map<string, DirRecord>, rel: string, abs: string): DirRecord | undefined {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(abs);
    } catch {
      records.delete(rel);
      return undefined;
    }
    if (!st.isDirectory()) return undefined;
    const cached = records.get(rel);
    if (cached && cached.settled && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino) return cached;
    let dirents: fs.Dirent[];
    try {
      dirents = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      // Unreadable to us: the sandboxed command (same user) cannot list it either.
      records.delete(rel);
      return undefined;
    }
    const entries = dirents.map((d): { name: string; type: EntryType } => ({ name: d.name, type: d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other' }));
    const record: DirRecord = { mtimeMs: st.mtimeMs, ino: st.ino, settled: this.clock() - st.mtimeMs > SETTLE_MS, entries };
    records.set(rel, record);
    return record;
  }
}

function classify(
  folder: string,
  rel: string,
  entries: DirRecord['entries'],
  ignores: (relativePath: string, isDirectory: boolean) => boolean,
  workspaceFolders: readonly string[],
): { found: Found; descend: string[] } {
  const found: Found = { hiddenFiles: [], hiddenDirs: [], readOnly: [] };
  const descend: string[] = [];
  for (const { name, type } of entries) {
    const childRel = rel === '' ? name : `${rel}/${name}`;
    const abs = path.join(folder, childRel);
    const lower = name.toLowerCase();
    // Ignored wins over protected: agents may not even see an ignored path.
    if (ignores(childRel, type === 'dir')) {
      if (type === 'dir') found.hiddenDirs.push(abs);
      else if (type === 'symlink') hideTarget(abs, workspaceFolders, found);
      else found.hiddenFiles.push(abs);
      continue;
    }
    if (type === 'dir' && PROTECTED_DIRS.has(lower)) {
      found.readOnly.push(abs);
      // A repository's object store holds no secrets of the user's and is by far the largest folder.
      if (lower !== '.git') descend.push(name);
      continue;
    }
    if (type === 'dir') {
      descend.push(name);
      continue;
    }
    if (secretReadReason(childRel) !== undefined) {
      if (type === 'symlink') hideTarget(abs, workspaceFolders, found);
      else if (type === 'file') found.hiddenFiles.push(abs);
      continue;
    }
    // `.git` as a file is a worktree's or submodule's pointer; a nested `.breakwaterignore` is protected too.
    if (type === 'file' && (lower === PROTECTED_FILE || lower === '.git')) found.readOnly.push(abs);
  }
  return { found, descend };
}

/** Masks what a secret or ignored symlink points at, when that is a file or folder inside the workspace. */
function hideTarget(link: string, workspaceFolders: readonly string[], found: Found): void {
  let target: string;
  let st: fs.Stats;
  try {
    target = fs.realpathSync(link);
    st = fs.statSync(target);
  } catch {
    return; // Dangling: nothing to read through it.
  }
  // Outside the workspace folders it is not visible in the sandbox at all (or is a system file).
  if (!workspaceFolders.some((f) => target === f || target.startsWith(`${f}/`))) return;
  if (st.isDirectory()) found.hiddenDirs.push(target);
  else if (st.isFile()) found.hiddenFiles.push(target);
}

/** The root-level protected names; a symbolic link cannot be kept read-only (a command could replace it). */
function rootProtection(folder: string): { path: string; kind: 'dir' | 'file' }[] {
  return ROOT_PROTECTED.map(({ name, kind }) => {
    const p = path.join(folder, name);
    let link = false;
    try {
      link = fs.lstatSync(p).isSymbolicLink();
    } catch {
      // Missing: the registry makes a stub for it.
    }
    if (link) {
      throw new SandboxSetupError(
        `${p} is a symbolic link: the sandbox cannot keep it read-only (a command could replace the link). Replace it with a real ${kind === 'dir' ? 'folder' : 'file'}, or turn the sandbox off in your user settings`,
      );
    }
    return { path: p, kind };
  });
}
