import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Replaces a file so a reader (or a crash) sees either the old or the new content, never half of
 * it: a temp file in the same folder, fsync, rename over the target, fsync the folder. The file's
 * mode is kept; renaming over a symbolic link replaces the link instead of following it.
 */
export async function atomicWriteFile(target: string, content: string | Buffer): Promise<void> {
  const dir = path.dirname(target);
  let mode = 0o666 & ~process.umask();
  try {
    const st = await fs.promises.lstat(target);
    if (st.isFile()) mode = st.mode & 0o7777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const temp = path.join(dir, `.${path.basename(target)}.bw-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.promises.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(content);
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.promises.rename(temp, target);
  } catch (err) {
    await fs.promises.rm(temp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

async function fsyncDir(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch {
    // Some platforms (Windows) cannot open or fsync a directory; the rename itself is still atomic.
  } finally {
    await handle?.close();
  }
}
