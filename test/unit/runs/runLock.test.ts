import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { acquireRunLock, liveLockOwner, readOwner, type LockStep } from '../../../src/core/runs/runLock';
import { isRunLockedError } from '../../../src/core/runs/runLogErrors';

/** The pid of a process that has exited (so no process has it now, barring immediate reuse). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

const dead = (nonce: string) => JSON.stringify({ pid: deadPid(), host: os.hostname(), nonce });

describe('run lock: one writer per run', () => {
  let dir: string;
  let lock: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-lock-'));
    lock = path.join(dir, 'r.jsonl.lock');
  });

  it('the lock names its owner the moment it exists (linked into place, never created empty)', () => {
    const seen: (string | null)[] = [];
    const held = acquireRunLock(lock, 'r-1', { onStep: () => seen.push(fs.existsSync(lock) ? fs.readFileSync(lock, 'utf8') : null) });
    assert.deepEqual(seen, [null], 'no lock file before the link');
    const owner = readOwner(lock);
    assert.equal(owner?.pid, process.pid);
    assert.equal(owner?.nonce, held.owner.nonce);
    assert.equal(fs.readdirSync(dir).length, 1, 'no temp file left behind');
    held.dispose();
    assert.equal(fs.existsSync(lock), false);
  });

  it('refuses a second writer, in this process or behind a live pid', () => {
    const held = acquireRunLock(lock, 'r-1');
    assert.throws(() => acquireRunLock(lock, 'r-1'), isRunLockedError);
    held.dispose();
    // The parent of this process is alive: its lock is held.
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), nonce: 'parent' }));
    assert.throws(() => acquireRunLock(lock, 'r-1'), (e: unknown) => isRunLockedError(e) && e.pid === process.ppid);
    assert.equal(liveLockOwner(lock)?.pid, process.ppid);
  });

  it('takes over a lock whose owner died (new format, and the old pid-only format)', () => {
    fs.writeFileSync(lock, dead('n-dead'));
    assert.equal(liveLockOwner(lock), undefined);
    const a = acquireRunLock(lock, 'r-1');
    assert.equal(readOwner(lock)?.nonce, a.owner.nonce);
    a.dispose();
    fs.writeFileSync(lock, String(deadPid()));
    const b = acquireRunLock(lock, 'r-1');
    assert.equal(readOwner(lock)?.pid, process.pid);
    b.dispose();
    assert.deepEqual(fs.readdirSync(dir), [], 'no claim or temp file left behind');
  });

  // Linux (/proc): the start time is what tells a recycled pid from its first owner.
  it('a live pid whose process start time differs is a recycled pid: the lock is stale', () => {
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), nonce: 'recycled', start: '1' }));
    acquireRunLock(lock, 'r-1').dispose();
  });

  it("a lock from another machine is never judged stale from here", () => {
    fs.writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: 'elsewhere.example', nonce: 'remote' }));
    assert.throws(() => acquireRunLock(lock, 'r-1'), (e: unknown) => isRunLockedError(e) && /on elsewhere\.example/.test(e.message));
  });

  it('two takers of the same stale lock: the one that claims it wins, the other is refused (check-and-swap)', () => {
    fs.writeFileSync(lock, dead('n-stale'));
    let inner: unknown;
    const steps: LockStep[] = [];
    // While the first taker holds the claim (between reading the stale owner and removing it), a second one tries.
    const a = acquireRunLock(lock, 'r-1', {
      onStep: (step) => {
        steps.push(step);
        if (step !== 'claimed') return;
        try {
          acquireRunLock(lock, 'r-1').dispose();
        } catch (e) {
          inner = e;
        }
      },
    });
    assert.ok(isRunLockedError(inner), `the second taker is refused: ${String(inner)}`);
    assert.deepEqual(steps, ['linking', 'read_stale', 'claimed', 'removed_stale', 'linking']);
    assert.equal(readOwner(lock)?.nonce, a.owner.nonce);
    a.dispose();
  });

  it('a claim abandoned by a taker that died mid-takeover is itself taken over', () => {
    fs.writeFileSync(lock, dead('n-stale'));
    fs.writeFileSync(`${lock}.claim-n-stale`, dead('n-taker'));
    const a = acquireRunLock(lock, 'r-1');
    assert.equal(readOwner(lock)?.nonce, a.owner.nonce);
    a.dispose();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('releasing removes only its own lock, never one that replaced it', () => {
    const a = acquireRunLock(lock, 'r-1');
    fs.rmSync(lock);
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), nonce: 'other' }));
    assert.equal(a.isHeld(), false);
    a.dispose();
    assert.equal(readOwner(lock)?.nonce, 'other');
  });
});
