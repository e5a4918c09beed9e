import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SandboxSetupError } from './sandboxErrors';

/** A protected name that does not exist yet and must not be created by a command (`.vscode`, `.git`, …). */
export interface StubRequest {
  readonly path: string;
  readonly kind: 'dir' | 'file';
}

/** Held stubs; `release` lets them go (removed once no live process holds them; see `lingerMs`). */
export interface StubLease {
  /** The stubs that exist now and are to be mounted read-only (one that could not be made is left out). */
  readonly held: readonly string[];
  release(): Promise<void>;
}

export interface MountStubsOptions {
  /**
   * Milliseconds a released stub stays for the next command before it is removed; defaults to 1 500.
   * Agents run commands in bursts, and making and removing a folder costs a millisecond or more on a
   * journalled file system under load. Stubs still lingering when the process exits are removed then.
   */
  readonly lingerMs?: number;
}

/** Milliseconds to wait for another process's registry lock before giving up (the work under it takes µs). */
const LOCK_WAIT_MS = 5_000;
/** A lock older than this whose owner cannot be read was left by a process killed while taking it. */
const LOCK_STALE_MS = 10_000;

/**
 * bwrap can only mount on a path that exists, so a missing protected name is held by an empty stub (a
 * folder, or an empty file for `.breakwaterignore`) that is mounted read-only inside the sandbox, and
 * removed after the command. Other sandboxes may mount the same stub at the same time, in this process
 * or another one (the CLI and the extension on one workspace), and removing it under a running sandbox
 * would detach that sandbox's mount. So the registry (a flat folder in the user's state dir) keeps, per
 * stub, one marker file per process holding it (pid + start time, so a reused pid is no holder), changed
 * only under one lock file. The last live holder removes the stub, only if the registry made it and it is
 * still empty. A process killed with SIGKILL leaves its stub behind; the next process's first hold sweeps
 * it away.
 *
 * Everything here is synchronous (files only: an O_EXCL lock file, marker files), so holds and releases
 * of one process never interleave; the only wait is for another process's lock, which is held for µs.
 */
export class MountStubs {
  private readonly counts = new Map<string, number>();
  /** Released stubs kept for the next command, by path. */
  private readonly lingering = new Map<string, StubRequest>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private swept = false;
  private readonly lingerMs: number;

  constructor(
    /** Folder for the registry, e.g. `<user state dir>/sandbox-stubs`. */
    private readonly registryDir: string,
    options: MountStubsOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 1_500;
  }

  async hold(requests: readonly StubRequest[]): Promise<StubLease> {
    if (requests.length === 0) return { held: [], release: async () => undefined };
    const fresh = requests.filter((r) => (this.counts.get(r.path) ?? 0) === 0 && !this.lingering.has(r.path));
    if (fresh.length > 0 || !this.swept) {
      this.locked(() => {
        if (!this.swept) {
          this.swept = true;
          this.sweep();
        }
        for (const r of fresh) this.register(r);
      });
    }
    for (const r of requests) {
      this.lingering.delete(r.path);
      this.counts.set(r.path, (this.counts.get(r.path) ?? 0) + 1);
    }
    let released = false;
    return {
      held: requests.filter((r) => exists(r.path)).map((r) => r.path),
      release: async () => {
        if (released) return;
        released = true;
        this.drop(requests);
      },
    };
  }

  /** Removes every lingering stub now (the core is disposed; also run when the process exits). */
  flush(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const gone = [...this.lingering.values()];
    this.lingering.clear();
    LINGERING.delete(this);
    if (gone.length > 0) this.unregister(gone);
  }

  private drop(requests: readonly StubRequest[]): void {
    const last: StubRequest[] = [];
    for (const r of requests) {
      const count = (this.counts.get(r.path) ?? 1) - 1;
      if (count > 0) this.counts.set(r.path, count);
      else {
        this.counts.delete(r.path);
        last.push(r);
      }
    }
    if (last.length === 0) return;
    if (this.lingerMs <= 0) return this.unregister(last);
    for (const r of last) this.lingering.set(r.path, r);
    LINGERING.add(this);
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => this.flush(), this.lingerMs);
    // A lingering stub must not keep a CLI alive; the exit hook removes it.
    this.lingerTimer.unref();
  }

  private unregister(stubs: readonly StubRequest[]): void {
    this.locked(() => {
      for (const r of stubs) fs.rmSync(this.file(r.path, selfMarker()), { force: true });
      const names = this.names();
      for (const r of stubs) removeIfUnheld(this.registryDir, names, key(r.path), r.path);
    });
  }

  private register(r: StubRequest): void {
    const k = key(r.path);
    fs.writeFileSync(this.file(r.path, 'path'), r.path);
    if (!exists(r.path)) {
      try {
        if (r.kind === 'dir') fs.mkdirSync(r.path, { mode: 0o755 });
        else fs.closeSync(fs.openSync(r.path, 'wx', 0o644));
        fs.writeFileSync(path.join(this.registryDir, `${k}.created`), '');
      } catch (err) {
        // A folder we cannot create in is one the command (same user) cannot create in either.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM' && code !== 'EEXIST') throw err;
      }
    }
    fs.writeFileSync(this.file(r.path, selfMarker()), '');
  }

  /** Removes stubs whose holders are all gone (a process killed mid-command), except ones this process holds. */
  private sweep(): void {
    const names = this.names();
    for (const n of names) {
      if (!n.endsWith('.path')) continue;
      const k = n.slice(0, -'.path'.length);
      let stub: string;
      try {
        stub = fs.readFileSync(path.join(this.registryDir, n), 'utf8');
      } catch {
        continue;
      }
      if (!this.counts.has(stub) && !this.lingering.has(stub)) removeIfUnheld(this.registryDir, names, k, stub);
    }
  }

  private names(): string[] {
    try {
      return fs.readdirSync(this.registryDir);
    } catch {
      return [];
    }
  }

  private file(stub: string, suffix: string): string {
    return path.join(this.registryDir, `${key(stub)}.${suffix}`);
  }

  /** Runs `work` holding the registry's cross-process lock (a file created with O_EXCL). */
  private locked<T>(work: () => T): T {
    fs.mkdirSync(this.registryDir, { recursive: true, mode: 0o700 });
    const lock = path.join(this.registryDir, 'lock');
    const started = Date.now();
    for (;;) {
      try {
        const fd = fs.openSync(lock, 'wx', 0o600);
        fs.writeSync(fd, selfMarker());
        fs.closeSync(fd);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        if (lockIsStale(lock)) {
          fs.rmSync(lock, { force: true });
          continue;
        }
        if (Date.now() - started > LOCK_WAIT_MS) throw new SandboxSetupError(`the sandbox's stub registry lock ${lock} stays taken by another process; delete it if no Breakwater is running`);
        Atomics.wait(PAUSE, 0, 0, 2);
      }
    }
    try {
      return work();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
/** Instances with lingering stubs, for the exit hook. */
const LINGERING = new Set<MountStubs>();
process.on('exit', () => {
  for (const stubs of [...LINGERING]) {
    try {
      stubs.flush();
    } catch {
      // Exiting: what cannot be removed now is swept by the next process.
    }
  }
});

const key = (stub: string) => createHash('sha256').update(stub).digest('hex').slice(0, 32);

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** With no live holder of stub `k` left: removes the stub if the registry created it and it is still empty, then its entries. */
function removeIfUnheld(dir: string, names: readonly string[], k: string, stub: string): void {
  const markers = names.filter((n) => n.startsWith(`${k}.`) && /^\d+-\d+$/.test(n.slice(k.length + 1)));
  let live = false;
  for (const m of markers) {
    if (markerAlive(m.slice(k.length + 1))) live = true;
    else fs.rmSync(path.join(dir, m), { force: true });
  }
  if (live) return;
  if (names.includes(`${k}.created`) || exists(path.join(dir, `${k}.created`))) {
    try {
      const st = fs.lstatSync(stub);
      // Only an untouched stub goes: what the user put there meanwhile is theirs.
      if (st.isDirectory()) fs.rmdirSync(stub);
      else if (st.isFile() && st.size === 0) fs.unlinkSync(stub);
    } catch {
      // Gone already, or no longer empty: leave it.
    }
  }
  fs.rmSync(path.join(dir, `${k}.created`), { force: true });
  fs.rmSync(path.join(dir, `${k}.path`), { force: true });
}

let ownMarker: string | undefined;
/** `<pid>-<start time in clock ticks>`: names this process and no later one with the same pid. */
function selfMarker(): string {
  ownMarker ??= `${process.pid}-${startTime(process.pid) ?? 0}`;
  return ownMarker;
}

function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); the fields after the parenthesised command name are space-separated.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function markerAlive(marker: string): boolean {
  const m = /^(\d+)-(\d+)$/.exec(marker);
  if (!m) return false;
  const started = startTime(Number(m[1]));
  return started !== undefined && (m[2] === '0' || started === m[2]);
}

function lockIsStale(lock: string): boolean {
  try {
    const owner = fs.readFileSync(lock, 'utf8');
    if (owner.length > 0) return !markerAlive(owner);
    return Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS;
  } catch {
    return false;
  }
}
