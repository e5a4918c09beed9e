import * as fs from 'node:fs';
import type { Disposable } from '../common/lifecycle';
import { RunLockedError } from './runLogErrors';

/** Runs locked by this process; a second writer in the same process is refused like one in another. */
const heldHere = new Set<string>();

/**
 * One writer per run: `<log>.lock` holds the writer's pid, created exclusively. A lock whose pid is
 * no longer alive (a process killed with -9) is stale and taken over.
 */
export function acquireRunLock(lockFile: string, runId: string): Disposable {
  if (heldHere.has(lockFile)) throw new RunLockedError(runId, process.pid);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(lockFile, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      heldHere.add(lockFile);
      let released = false;
      return {
        dispose() {
          if (released) return;
          released = true;
          heldHere.delete(lockFile);
          fs.rmSync(lockFile, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = readPid(lockFile);
      if (pid !== undefined && pid !== process.pid && isAlive(pid)) throw new RunLockedError(runId, pid);
      // Stale (dead pid, our own pid from a previous life, or an empty file from a crash mid-write).
      fs.rmSync(lockFile, { force: true });
    }
  }
  throw new Error(`could not take the lock ${lockFile}; remove it if no Breakwater process is running`);
}

function readPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(fs.readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
