import * as fs from 'node:fs';
import * as path from 'node:path';

/** What of the machine outside the workspace a sandboxed command sees (all read-only). */
export interface SystemView {
  /** Top-level system folders bound read-only (`/usr`, `/etc`, `/opt`, …). */
  readonly folders: readonly string[];
  /** Top-level links recreated as they are (`/bin -> usr/bin` on merged-/usr systems). */
  readonly links: readonly { readonly path: string; readonly target: string }[];
  /** Toolchains under the home folder that PATH points into (`~/.pyenv`, `~/.cargo`, `~/.local/bin`). */
  readonly toolchains: readonly string[];
  /** Secrets inside what is visible: shadow files, ssh host keys, TLS private keys, toolchain credentials. */
  readonly secretFiles: readonly string[];
  readonly secretDirs: readonly string[];
}

/**
 * Only these top-level folders exist in the sandbox: programs and their libraries, configuration, and
 * package-manager trees. Everything else at the top (`/home`, `/root`, `/srv`, `/mnt`, `/media`, `/run`,
 * `/var`, and whatever a machine adds) is user data or live system state and stays invisible.
 */
const SYSTEM_FOLDERS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/etc', '/opt', '/nix', '/gnu', '/snap'];
const ETC_SECRET_FILES = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-', '/etc/security/opasswd', '/etc/krb5.keytab', '/etc/ipsec.secrets', '/etc/ppp/chap-secrets', '/etc/ppp/pap-secrets', '/etc/sudoers'];
const ETC_SECRET_DIRS = ['/etc/ssl/private', '/etc/NetworkManager/system-connections', '/etc/wpa_supplicant', '/etc/sudoers.d', '/etc/letsencrypt'];
/** Folders under the home that hold credentials or Breakwater's own state: never bound whole as a toolchain. */
const HOME_SENSITIVE = new Set(['.ssh', '.gnupg', '.aws', '.azure', '.kube', '.docker', '.config', '.local', '.password-store', '.mozilla', '.pki', '.cache', '.npm', '.vscode-server', '.vscode']);
/** Credential files inside toolchain folders that are bound. */
const TOOLCHAIN_SECRETS = ['credentials', 'credentials.toml', '.credentials.json', 'auth.json', '.netrc', '.npmrc', '.pypirc'];

const cache = new Map<string, SystemView>();

/** The view for this PATH and home, computed once per process for each pair (PATH rarely changes). */
export function systemView(searchPath: string, home: string): SystemView {
  const key = `${searchPath}\0${home}`;
  let view = cache.get(key);
  if (view === undefined) {
    view = compute(searchPath, home);
    cache.set(key, view);
  }
  return view;
}

function compute(searchPath: string, home: string): SystemView {
  const folders: string[] = [];
  const links: { path: string; target: string }[] = [];
  for (const p of SYSTEM_FOLDERS) {
    const st = lstat(p);
    if (st?.isSymbolicLink()) links.push({ path: p, target: fs.readlinkSync(p) });
    else if (st?.isDirectory()) folders.push(p);
  }
  const realHome = realpath(home);
  const toolchains = new Set<string>();
  for (const entry of searchPath.split(':')) {
    if (!entry.startsWith('/')) continue;
    const real = realpath(entry);
    if (real === undefined || !lstat(real)?.isDirectory()) continue;
    if (folders.some((f) => real === f || real.startsWith(`${f}/`))) continue;
    if (realHome !== undefined && real.startsWith(`${realHome}/`)) {
      // `~/.pyenv/shims` needs the rest of `~/.pyenv`; `~/.local/bin` must not bring `~/.local/state`.
      const top = real.slice(realHome.length + 1).split('/')[0] ?? '';
      toolchains.add(HOME_SENSITIVE.has(top) ? real : path.join(realHome, top));
    } else if (realHome === undefined || real !== realHome) {
      toolchains.add(real);
    }
  }
  const secretFiles = ETC_SECRET_FILES.filter((f) => lstat(f)?.isFile());
  for (const name of safeList('/etc/ssh')) if (name.startsWith('ssh_host_') && !name.endsWith('.pub')) secretFiles.push(`/etc/ssh/${name}`);
  for (const t of toolchains) for (const name of TOOLCHAIN_SECRETS) if (lstat(path.join(t, name))?.isFile()) secretFiles.push(path.join(t, name));
  const secretDirs = ETC_SECRET_DIRS.filter((d) => lstat(d)?.isDirectory());
  return { folders, links, toolchains: [...toolchains], secretFiles, secretDirs };
}

function lstat(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch {
    return undefined;
  }
}

function realpath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Paths under the home folder that hold credentials or Breakwater's state. The home is an empty private
 * folder in the sandbox, so these matter only when a workspace folder or a toolchain contains them (a
 * workspace opened on the home folder itself).
 */
export const HOME_SECRETS = [
  '.ssh', '.gnupg', '.aws', '.azure', '.kube', '.docker', '.password-store', '.mozilla', '.pki', '.netrc', '.npmrc', '.pypirc', '.git-credentials',
  '.config/gcloud', '.config/gh', '.config/hub', '.config/breakwater', '.config/Code', '.config/google-chrome', '.config/chromium', '.local/share/keyrings',
  '.local/state/breakwater', '.cargo/credentials', '.cargo/credentials.toml', '.terraform.d', '.vscode-server', '.bash_history', '.zsh_history',
];
