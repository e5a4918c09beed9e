import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildChildEnv } from './childEnv';
import { secretReadReason } from './protectedPaths';

/**
 * The secret-file rule (`.env*`, `*.pem`, `*.key`, `id_rsa*`: ask every time) applied to a file
 * that is about to be read, however it is reached: by its own name, by the name the model used (a
 * link called `.env`), by its real name behind symbolic links (`notes.txt -> .env`, a linked folder),
 * and by another name it has as a hard link (a file with more than one link is compared by device
 * and inode with the secret-named files of the workspace folders and of `~/.ssh`).
 */

/** The globs ripgrep uses to list secret-named files (matched case-insensitively, like the rule). */
const SECRET_GLOBS = ['.env*', '*.pem', '*.key', 'id_rsa*'];

export interface SecretCheckInput {
  /** The real path (symlinks resolved). */
  readonly realPath: string;
  /** The name the caller used (the tool's `path` argument, or a path ripgrep printed). */
  readonly asGiven: string;
}

/** Finds the secret-named files once per check, only when a file with several hard links needs it. */
export class SecretIndex {
  private inodes: Promise<Set<string>> | undefined;

  constructor(
    private readonly folders: readonly string[],
    private readonly ripgrepPath: string,
    private readonly signal?: AbortSignal,
  ) {}

  /** Why reading this file falls under the secret rule, or undefined. */
  async reason(input: SecretCheckInput): Promise<string | undefined> {
    const byRealName = secretReadReason(input.realPath);
    if (byRealName !== undefined) return byRealName;
    const byGivenName = secretReadReason(input.asGiven.replace(/[\\/]+$/, ''));
    if (byGivenName !== undefined) return `${byGivenName} (the name it was asked by)`;
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(input.realPath);
    } catch {
      return undefined;
    }
    if (!st.isFile() || st.nlink <= 1) return undefined;
    const known = await this.secretInodes();
    if (known === 'unknown') return `${path.basename(input.realPath)} has ${st.nlink} hard links and the other names could not be checked, so it may be a secret file under another name`;
    if (known.has(`${st.dev}:${st.ino}`)) return `${path.basename(input.realPath)} is a hard link to a secret file (.env*, *.pem, *.key, id_rsa*)`;
    return undefined;
  }

  private async secretInodes(): Promise<Set<string> | 'unknown'> {
    this.inodes ??= this.build();
    try {
      return await this.inodes;
    } catch {
      return 'unknown';
    }
  }

  private async build(): Promise<Set<string>> {
    const files: string[] = [];
    for (const folder of this.folders) files.push(...(await listSecretNamed(this.ripgrepPath, folder, this.signal)));
    // Hard links only work within one file system; ~/.ssh is where keys worth linking to live.
    const ssh = path.join(os.homedir(), '.ssh');
    try {
      for (const name of await fs.promises.readdir(ssh)) if (secretReadReason(name) !== undefined || name.startsWith('id_')) files.push(path.join(ssh, name));
    } catch {
      // No ~/.ssh: nothing to compare with.
    }
    const out = new Set<string>();
    for (const f of files) {
      try {
        const st = await fs.promises.stat(f);
        if (st.isFile()) out.add(`${st.dev}:${st.ino}`);
      } catch {
        // Gone since it was listed.
      }
    }
    return out;
  }
}

/** Secret-named files below `folder` (hidden and ignored ones too; links not followed). Rejects when ripgrep fails. */
function listSecretNamed(rgPath: string, folder: string, signal?: AbortSignal): Promise<string[]> {
  const args = ['--files', '--hidden', '--no-ignore', '--no-messages', '--glob-case-insensitive', ...SECRET_GLOBS.flatMap((g) => ['--glob', g]), '--null'];
  return new Promise((resolve, reject) => {
    const child = spawn(rgPath, args, { cwd: folder, env: buildChildEnv(), stdio: ['ignore', 'pipe', 'ignore'], ...(signal ? { signal } : {}) });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) return reject(new Error(`ripgrep exited ${code}`));
      resolve(Buffer.concat(chunks).toString('utf8').split('\0').filter((l) => l.length > 0).map((l) => path.resolve(folder, l)));
    });
  });
}
