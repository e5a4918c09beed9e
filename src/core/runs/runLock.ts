import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Disposable } from '../common/lifecycle';
import { RunLockedError } from './runLogErrors';

/**
 * Who holds a run lock. `nonce` is unique per acquisition, so a lock is never mistaken for another
 * one with the same pid; `start` (Linux: the process start time from /proc) tells a live owner from a
 * recycled pid; `host` says whose pids these are.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly nonce: string;
  readonly start?: string;
}

/** The steps of taking a lock, for the test hook that widens the race windows between them. */
export type LockStep = 'read_stale' | 'claimed' | 'removed_stale' | 'linking';

export interface RunLockOptions {
  /**
   * TEST HOOK: called between the steps of taking a lock (the CLI wires `BREAKWATER_TEST_LOCK_PAUSE`
   * and `BREAKWATER_TEST_CRASH_AT=lock:<step>` to it). Unset in normal use.
   */
  readonly onStep?: (step: LockStep) => void;
}

export interface RunLock extends Disposable {
  readonly owner: LockOwner;
  /** True while the lock file still names this owner. */
  isHeld(): boolean;
}

/** Lock files held by this process → the nonce it holds them with. */
const heldHere = new Map<string, string>();
const HOST = os.hostname();

/**
 * One writer per run. The lock file never exists without its owner: the owner is written to a temp
 * file and `link`ed into place (atomic, and refused when a lock exists). A stale lock (its owner is
 * dead) is removed by check-and-swap: only the process that creates `<lock>.claim-<nonce>` for that
 * exact owner may remove it, and it removes it only if the lock still names that owner — so two
 * processes that both saw the same stale lock can never both take the run.
 */
export function acquireRunLock(lockFile: string, runId: string, options: RunLockOptions = {}): RunLock {
  if (heldHere.has(lockFile)) throw new RunLockedError(runId, process.pid, HOST);
  const owner: LockOwner = { pid: process.pid, host: HOST, nonce: randomBytes(8).toString('hex'), ...startOf(process.pid) };
  for (let attempt = 0; attempt < 8; attempt++) {
    options.onStep?.('linking');
    if (linkOwner(lockFile, owner)) {
      heldHere.set(lockFile, owner.nonce);
      let released = false;
      return {
        owner,
        isHeld: () => readOwner(lockFile)?.nonce === owner.nonce,
        dispose() {
          if (released) return;
          released = true;
          heldHere.delete(lockFile);
          // Only our own lock is removed (never one a takeover put there if we were wrongly judged dead).
          if (readOwner(lockFile)?.nonce === owner.nonce) fs.rmSync(lockFile, { force: true });
        },
      };
    }
    const current = readOwner(lockFile);
    if (current === undefined) continue; // released between our link and our read: try again
    if (isLive(current, lockFile)) throw new RunLockedError(runId, current.pid, current.host);
    options.onStep?.('read_stale');
    const taker = removeStale(lockFile, current, options);
    // Another process is taking this stale lock over right now: it will hold the run.
    if (taker !== undefined) throw new RunLockedError(runId, taker.pid, taker.host);
  }
  throw new Error(`could not take the lock ${lockFile} after several tries; another process keeps taking it. Try again, or remove the file if no Breakwater process is running`);
}

/** The live owner of a lock, if any (a lock left by a dead process has none). */
export function liveLockOwner(lockFile: string): LockOwner | undefined {
  const owner = readOwner(lockFile);
  return owner !== undefined && isLive(owner, lockFile) ? owner : undefined;
}

/**
 * Removes `file` if and only if it still names `stale`; at most one process can do so for a given
 * owner, because the right to remove it is the exclusive creation of `<file>.claim-<nonce>`. A claim
 * left by a process that died while holding it is stale itself, and removed the same way. Returns
 * the live owner of a claim when someone else is taking the lock over right now.
 */
function removeStale(file: string, stale: LockOwner, options: RunLockOptions, depth = 0): LockOwner | undefined {
  if (depth > 8) throw new Error(`${file}: too many abandoned takeovers; remove ${file}* if no Breakwater process is running`);
  const claim = `${file}.claim-${stale.nonce}`;
  const me: LockOwner = { pid: process.pid, host: HOST, nonce: randomBytes(8).toString('hex'), ...startOf(process.pid) };
  if (!linkOwner(claim, me)) {
    const claimer = readOwner(claim);
    if (claimer === undefined) return undefined;
    if (isLive(claimer, claim)) return claimer;
    return removeStale(claim, claimer, options, depth + 1);
  }
  heldHere.set(claim, me.nonce);
  try {
    options.onStep?.('claimed');
    // Only the holder of this claim may remove a lock naming `stale`, and `stale` is dead: between this
    // read and the unlink nobody else can have replaced it.
    if (readOwner(file)?.nonce === stale.nonce) {
      fs.rmSync(file, { force: true });
      options.onStep?.('removed_stale');
    }
  } finally {
    heldHere.delete(claim);
    fs.rmSync(claim, { force: true });
  }
  return undefined;
}

/** Creates `file` naming `owner`, atomically; false when it already exists. */
function linkOwner(file: string, owner: LockOwner): boolean {
  const tmp = `${file}.${owner.nonce}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(owner));
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') return createExclusive(file, owner);
    throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * For file systems without hard links: exclusive create, then write. A reader can see the file empty
 * for a moment; `readOwner` treats an empty lock younger than a few seconds as held, not stale.
 */
function createExclusive(file: string, owner: LockOwner): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
  try {
    fs.writeSync(fd, JSON.stringify(owner));
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

/** The owner a lock file names; a lock from an older version holds only a pid. Undefined when there is no lock. */
export function readOwner(file: string): LockOwner | undefined {
  let text: string;
  let stat: fs.Stats;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (text.startsWith('{')) {
    try {
      const o = JSON.parse(text) as Partial<LockOwner>;
      if (typeof o.pid === 'number' && typeof o.nonce === 'string' && typeof o.host === 'string') {
        return { pid: o.pid, host: o.host, nonce: o.nonce, ...(typeof o.start === 'string' ? { start: o.start } : {}) };
      }
    } catch {
      // falls through: unreadable owner
    }
  }
  const pid = Number.parseInt(text, 10);
  // Identity of an old-format (or unreadable) lock: its pid and inode, enough to claim it exactly once.
  const nonce = `legacy-${stat.ino}-${Math.floor(stat.mtimeMs)}`;
  if (Number.isInteger(pid) && pid > 0 && String(pid) === text) return { pid, host: HOST, nonce };
  // Empty or garbage: a writer mid-create on a file system without links, or debris. Young → held.
  return { pid: Date.now() - stat.mtimeMs < 5_000 ? -1 : 0, host: HOST, nonce };
}

function isLive(owner: LockOwner, lockFile: string): boolean {
  if (owner.pid === -1) return true;
  if (owner.pid === 0) return false;
  // Another machine's pids cannot be checked from here: treat its lock as held.
  if (owner.host !== HOST) return true;
  if (owner.pid === process.pid) return heldHere.get(lockFile) === owner.nonce;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // Same pid, different process start time: the pid was recycled after the owner died.
  if (owner.start !== undefined) {
    const now = startOf(owner.pid).start;
    if (now !== undefined && now !== owner.start) return false;
  }
  return true;
}

/** The process start time (clock ticks since boot) on Linux; nothing elsewhere. */
function startOf(pid: number): { start?: string } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3, starttime field 22.
    const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
    return start ? { start } : {};
  } catch {
    return {};
  }
}
