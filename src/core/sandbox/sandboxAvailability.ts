import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Which OS sandbox runs commands: bubblewrap on Linux; Seatbelt is reported but not built (see the README). */
export type SandboxKind = 'bubblewrap' | 'seatbelt' | 'none';

export type SandboxAvailability =
  | {
      readonly available: true;
      readonly kind: 'bubblewrap';
      /** Absolute path of the bwrap binary that passed the probe. */
      readonly bwrap: string;
      /** Absolute path of socat (needed for `network_allow` and ssh), or undefined when it is missing. */
      readonly socat?: string;
    }
  | {
      readonly available: false;
      readonly kind: 'none';
      /** Why no sandbox can start here, in words for the approval card and `--status`. */
      readonly reason: string;
      /** What the user can do about it. */
      readonly install: string;
    };

export interface AvailabilityOptions {
  /** `process.platform` by default. */
  readonly platform?: NodeJS.Platform;
  /** The bwrap binary: a path, or a name looked up on PATH; `bwrap` by default (`BREAKWATER_BWRAP` in hosts). */
  readonly bwrap?: string;
  /** The socat binary, same rules; `socat` by default. */
  readonly socat?: string;
  /** PATH used to find the binaries; the host's PATH by default. */
  readonly searchPath?: string;
}

const INSTALL = 'install bubblewrap (Debian/Ubuntu: sudo apt install bubblewrap socat; Fedora: sudo dnf install bubblewrap socat; Arch: sudo pacman -S bubblewrap socat)';
const cache = new Map<string, { readonly promise: Promise<SandboxAvailability>; value?: SandboxAvailability }>();

function entryFor(options: AvailabilityOptions) {
  const platform = options.platform ?? process.platform;
  const key = `${platform}\0${options.bwrap ?? ''}\0${options.socat ?? ''}\0${options.searchPath ?? process.env.PATH ?? ''}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    const created: { promise: Promise<SandboxAvailability>; value?: SandboxAvailability } = {
      promise: probe(platform, options).then((value) => (created.value = value)),
    };
    cache.set(key, created);
    entry = created;
  }
  return entry;
}

/**
 * Whether commands can run inside the OS sandbox on this machine, probed once per process (and per
 * binary path, so a test can point at a missing binary): the binary must exist, and a real bwrap with
 * the namespaces every command gets must start (a kernel without unprivileged user namespaces fails here).
 */
export function detectSandbox(options: AvailabilityOptions = {}): Promise<SandboxAvailability> {
  return entryFor(options).promise;
}

/** The answer when `detectSandbox` has already finished for these options (for synchronous status), else undefined. */
export function detectedSandbox(options: AvailabilityOptions = {}): SandboxAvailability | undefined {
  return entryFor(options).value;
}

async function probe(platform: NodeJS.Platform, options: AvailabilityOptions): Promise<SandboxAvailability> {
  if (platform === 'darwin') {
    return unavailable('macOS: this version of Breakwater has no Seatbelt profile, so commands cannot be sandboxed on a Mac', 'run Breakwater on Linux with bubblewrap for sandboxed commands, or approve each command yourself');
  }
  if (platform !== 'linux') {
    return unavailable(`${platform === 'win32' ? 'Windows' : platform}: there is no OS sandbox Breakwater can start for commands here`, 'use Breakwater in WSL 2 or on Linux with bubblewrap for sandboxed commands, or approve each command yourself');
  }
  const searchPath = options.searchPath ?? process.env.PATH ?? '/usr/bin:/bin';
  const bwrap = findExecutable(options.bwrap ?? 'bwrap', searchPath);
  if (bwrap === undefined) {
    const named = options.bwrap ?? 'bwrap';
    return unavailable(named.includes('/') ? `bubblewrap is not installed at ${named}` : 'bubblewrap (bwrap) is not installed', INSTALL);
  }
  const started = await run(bwrap, ['--unshare-user-try', '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--ro-bind', '/', '/', '--proc', '/proc', '--dev', '/dev', '--', 'true']);
  if (!started.ok) {
    const userns = /namespace|permission|operation not permitted|setting up uid map/i.test(started.detail);
    return unavailable(
      `bubblewrap at ${bwrap} cannot start a sandbox here: ${started.detail.trim() || 'it failed without saying why'}`,
      userns
        ? 'allow unprivileged user namespaces (sudo sysctl -w kernel.unprivileged_userns_clone=1; on Ubuntu 24.04+ also kernel.apparmor_restrict_unprivileged_userns=0 or an AppArmor profile for bwrap)'
        : INSTALL,
    );
  }
  const socat = findExecutable(options.socat ?? 'socat', searchPath);
  return socat === undefined ? { available: true, kind: 'bubblewrap', bwrap } : { available: true, kind: 'bubblewrap', bwrap, socat };
}

function unavailable(reason: string, install: string): SandboxAvailability {
  return { available: false, kind: 'none', reason, install };
}

/** An absolute path to an executable file: `name` itself when it has a slash, else the first match on `searchPath`. */
export function findExecutable(name: string, searchPath: string): string | undefined {
  const candidates = name.includes('/') ? [name] : searchPath.split(':').filter((d) => d.startsWith('/')).map((d) => path.join(d, name));
  for (const c of candidates) {
    try {
      fs.accessSync(c, fs.constants.X_OK);
      if (fs.statSync(c).isFile()) return path.resolve(c);
    } catch {
      // Not here; try the next one.
    }
  }
  return undefined;
}

function run(file: string, args: readonly string[]): Promise<{ ok: boolean; detail: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: '/usr/bin:/bin' } });
    let detail = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.stderr.on('data', (d: Buffer) => (detail += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, detail: e.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ ok: code === 0, detail: detail || (code === 0 ? '' : `exit ${code ?? signal}`) });
    });
  });
}
