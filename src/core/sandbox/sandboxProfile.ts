import * as fs from 'node:fs';
import * as path from 'node:path';
import { HOME_SECRETS, type SystemView } from './systemView';
import type { WorkspaceFindings } from './workspaceScan';

/**
 * What one sandboxed command may see and do, as data: the platform launcher (bwrap today) turns it
 * into mounts. Anything not named here does not exist for the command; there is no network except
 * through `sockets` (the network gate), and it runs in its own PID namespace.
 */
export interface SandboxProfile {
  /** Host folders and files bound read-only at the same path (system folders, toolchains, an ssh key). */
  readonly readable: readonly string[];
  /** Top-level symbolic links recreated as on the host (`/bin -> usr/bin`). */
  readonly links: readonly { readonly path: string; readonly target: string }[];
  /** Folders the command may write: the workspace folders. */
  readonly writable: readonly string[];
  /** Paths inside `writable` that stay read-only (protected paths and their stubs). */
  readonly readOnly: readonly string[];
  /** Empty private writable folders (`/tmp`, `/var/tmp`, the home), gone after the command. */
  readonly scratch: readonly string[];
  /** Files shown empty and read-only (secrets, ignored files). */
  readonly hiddenFiles: readonly string[];
  /** Folders shown empty and read-only (ignored folders, the store, credential folders). */
  readonly hiddenDirs: readonly string[];
  /** Host Unix sockets bound at a path inside: the network gate, the ssh agent. */
  readonly sockets: readonly { readonly host: string; readonly inside: string }[];
  readonly cwd: string;
  /** The complete environment (already allowlisted). */
  readonly env: Readonly<Record<string, string>>;
}

export interface ProfileInput {
  readonly workspaceFolders: readonly string[];
  readonly findings: readonly WorkspaceFindings[];
  /** Protected names held by stubs for this command. */
  readonly stubs: readonly string[];
  readonly system: SystemView;
  /** The real home folder (hidden behind an empty one). */
  readonly home: string;
  /** Paths never visible: the store, Breakwater's user state and config. */
  readonly hidden: readonly string[];
  /** Extra host paths the program needs read-only (ssh: the key file, known_hosts). */
  readonly extraReadable?: readonly string[];
  readonly sockets?: readonly { readonly host: string; readonly inside: string }[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

const within = (parent: string, p: string) => p === parent || p.startsWith(parent.endsWith('/') ? parent : `${parent}/`);

export function buildSandboxProfile(input: ProfileInput): SandboxProfile {
  const writable = [...input.workspaceFolders];
  // A PATH entry inside a workspace folder (npm puts `<project>/node_modules/.bin` there) is visible and
  // writable already; binding it read-only on top would break `npm install` in the workspace.
  const readable = [...input.system.folders, ...input.system.toolchains, ...(input.extraReadable ?? [])].filter((r) => !writable.some((w) => within(w, r)));
  const visible = [...readable, ...writable];
  // A secret only needs hiding where something makes it visible.
  const isVisible = (p: string) => visible.some((v) => within(v, p));
  const homeSecrets = HOME_SECRETS.map((rel) => path.join(input.home, rel));
  const hiddenFiles = new Set<string>(input.system.secretFiles);
  const hiddenDirs = new Set<string>(input.system.secretDirs);
  for (const f of input.findings) {
    f.hiddenFiles.forEach((p) => hiddenFiles.add(p));
    f.hiddenDirs.forEach((p) => hiddenDirs.add(p));
  }
  for (const p of [...input.hidden, ...homeSecrets]) {
    if (!isVisible(p)) continue;
    const kind = kindOf(p);
    if (kind === 'dir') hiddenDirs.add(p);
    else if (kind === 'file') hiddenFiles.add(p);
  }
  return {
    readable,
    links: input.system.links,
    writable,
    readOnly: [...new Set([...input.findings.flatMap((f) => f.readOnly), ...input.stubs])],
    // The home is an empty private folder (unless it is the root or a system folder, which stay as they are).
    scratch: input.home === '/' || input.system.folders.some((f) => within(f, input.home)) ? ['/tmp', '/var/tmp'] : ['/tmp', '/var/tmp', input.home],
    hiddenFiles: [...hiddenFiles].filter(isVisible),
    hiddenDirs: [...hiddenDirs].filter(isVisible),
    sockets: input.sockets ?? [],
    cwd: input.cwd,
    env: input.env,
  };
}

function kindOf(p: string): 'dir' | 'file' | undefined {
  try {
    // lstat: a mount cannot go on a symbolic link, and what it points at is hidden in its own right.
    const st = fs.lstatSync(p);
    return st.isDirectory() ? 'dir' : st.isFile() ? 'file' : undefined;
  } catch {
    return undefined;
  }
}
