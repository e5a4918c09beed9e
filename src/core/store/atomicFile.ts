import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The one way a whole file is replaced durably: a uniquely named temp file in the target's folder,
 * written and fsynced, renamed over the target, then the folder fsynced so the rename itself survives
 * a power cut. A reader or a crash sees the old content or the new one, never half of either. On any
 * failure the temp file is removed, the target is left as it was, and an `AtomicWriteError` says
 * which file and which step failed (its `code` is the errno code, its `cause` the original error).
 */

export interface AtomicWriteOptions {
  /**
   * Permission bits of the file. A number sets them; `'preserve'` keeps those of the regular file
   * being replaced (a new file gets `0o666` less the umask, as `open` would give it). Defaults to
   * `0o600`: the store's files are private to the user.
   */
  readonly mode?: number | 'preserve';
  /** Create the target's folder (and its parents) first. Defaults to true. */
  readonly mkdir?: boolean;
}

const brand = Symbol.for('breakwater.AtomicWriteError');

/** A whole-file write failed; the target still holds its previous content (or still does not exist). */
export class AtomicWriteError extends Error {
  readonly [brand] = true;
  /** The errno code of the failure (`EACCES`, `ENOSPC`, `EISDIR`, …), or undefined when there was none. */
  readonly code: string | undefined;
  constructor(
    readonly file: string,
    /** The step that failed, in words ("create a temp file", "rename the temp file into place", …). */
    readonly step: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`could not write ${file} (failed to ${step}: ${why}); its previous content, if any, is unchanged`, { cause });
    this.name = 'AtomicWriteError';
    this.code = code;
  }
}

export function isAtomicWriteError(e: unknown): e is AtomicWriteError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

function tempPath(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

const CREATE_EXCLUSIVE = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL;

/** Replaces `file` with `data` atomically and durably (see the file comment). */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const dir = path.dirname(file);
  let step = 'create its folder';
  let tmp: string | undefined;
  try {
    if (options.mkdir !== false) await fs.promises.mkdir(dir, { recursive: true });
    step = 'read the mode of the file it replaces';
    const mode = options.mode === 'preserve' ? await modeOf(file) : (options.mode ?? 0o600);
    step = 'create a temp file';
    const candidate = tempPath(file);
    const handle = await fs.promises.open(candidate, CREATE_EXCLUSIVE, 0o600);
    tmp = candidate;
    try {
      step = 'write the temp file';
      await handle.writeFile(data);
      step = 'set the temp file\'s mode';
      await handle.chmod(mode);
      step = 'fsync the temp file';
      await handle.sync();
    } finally {
      await handle.close();
    }
    step = 'rename the temp file into place';
    await fs.promises.rename(tmp, file);
    tmp = undefined;
  } catch (err) {
    if (tmp !== undefined) await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw new AtomicWriteError(file, step, err);
  }
  await fsyncDir(dir);
}

/** The synchronous twin of `writeFileAtomic`, for callers that must not yield (same steps, same guarantees). */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  let step = 'create its folder';
  let tmp: string | undefined;
  try {
    if (options.mkdir !== false) fs.mkdirSync(dir, { recursive: true });
    step = 'read the mode of the file it replaces';
    const mode = options.mode === 'preserve' ? modeOfSync(file) : (options.mode ?? 0o600);
    step = 'create a temp file';
    const candidate = tempPath(file);
    const fd = fs.openSync(candidate, CREATE_EXCLUSIVE, 0o600);
    tmp = candidate;
    try {
      step = 'write the temp file';
      fs.writeFileSync(fd, data);
      step = 'set the temp file\'s mode';
      fs.fchmodSync(fd, mode);
      step = 'fsync the temp file';
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    step = 'rename the temp file into place';
    fs.renameSync(tmp, file);
    tmp = undefined;
  } catch (err) {
    if (tmp !== undefined) fs.rmSync(tmp, { force: true });
    throw new AtomicWriteError(file, step, err);
  }
  fsyncDirSync(dir);
}

const defaultMode = (): number => 0o666 & ~process.umask();

async function modeOf(file: string): Promise<number> {
  try {
    const st = await fs.promises.lstat(file);
    return st.isFile() ? st.mode & 0o7777 : defaultMode();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultMode();
    throw err;
  }
}

function modeOfSync(file: string): number {
  try {
    const st = fs.lstatSync(file);
    return st.isFile() ? st.mode & 0o7777 : defaultMode();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultMode();
    throw err;
  }
}

/**
 * Makes a rename in `dir` durable. Some platforms (Windows) cannot open or fsync a folder: there the
 * rename is still atomic, only not yet durable, so the failure is not an error.
 */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // See above: atomic without the folder's fsync.
  } finally {
    await handle?.close();
  }
}

function fsyncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // See fsyncDir.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
