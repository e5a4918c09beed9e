import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export function sha256(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The file's bytes, or null when it does not exist. Never follows a link at the final component; refuses anything but a regular file. */
export async function readIfExists(realPath: string): Promise<Buffer | null> {
  let handle: fs.promises.FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in the file's place must not make the open wait for a writer for ever.
    handle = await fs.promises.open(realPath, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new Error(`${realPath} is not a regular file`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
