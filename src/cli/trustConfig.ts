import * as readline from 'node:readline';
import type { LoadedConfig } from '../core/config/loader';
import { displayValue, type SensitiveValue } from '../core/config/trust';
import type { TrustFile } from '../core/config/trustStore';

/**
 * The CLI side of workspace trust (README, "Workspace configuration and trust"): a run does not start while the workspace file sets a
 * sensitive value the user has not confirmed for this folder, and `--trust-config` shows those values and records
 * the user's confirmation (asked on a terminal, or all at once with `--yes`).
 */

export interface TrustIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdinIsTTY: boolean;
}

/** How to name this workspace again on the command line (the flags the user passed). */
export interface TrustCommandLine {
  readonly workspace: string;
  readonly config?: string;
}

export const unconfirmedOf = (loaded: LoadedConfig): SensitiveValue[] => (loaded.scopes?.sensitive ?? []).filter((s) => s.status === 'unconfirmed');

const where = (s: SensitiveValue) => `${displayValue(s.file)}${s.line === undefined ? '' : ` line ${s.line}`}`;

/** One value as the refusal and `--trust-config` list it (control and bidirectional characters spelled out). */
export function describeValue(s: SensitiveValue): string {
  return `  ${displayValue(s.key)} = ${s.display}\n      from ${where(s)}: ${s.why}\n`;
}

export function trustCommand(line: TrustCommandLine): string {
  return `breakwater --trust-config --workspace ${quote(line.workspace)}${line.config === undefined ? '' : ` --config ${quote(line.config)}`}`;
}

/** Why a run did not start: each unconfirmed value, and the ways to go on. */
export function refusal(values: readonly SensitiveValue[], loaded: LoadedConfig, line: TrustCommandLine): string {
  const folder = loaded.scopes?.workspace.folder ?? line.workspace;
  const userFile = loaded.scopes?.user.file;
  return [
    `breakwater: the workspace file sets ${values.length === 1 ? 'a sensitive value' : `${values.length} sensitive values`} not confirmed for ${folder}; nothing was started and nothing was sent:\n`,
    ...values.map(describeValue),
    `Review ${values.length === 1 ? 'it' : 'them'}, then confirm with:\n  ${trustCommand(line)}\n`,
    `or set ${values.length === 1 ? 'it' : 'them'} in your own file${userFile ? ` (${userFile})` : ''}, or remove ${values.length === 1 ? 'it' : 'them'} from the workspace file.\n`,
  ].join('');
}

/** Warns (stderr) that some workspace values are not in use, for the commands that only read. */
export function unconfirmedNotice(values: readonly SensitiveValue[], line: TrustCommandLine): string {
  if (values.length === 0) return '';
  return `! not in use until confirmed (${trustCommand(line)}):\n${values.map(describeValue).join('')}`;
}

/**
 * `--trust-config`: lists the unconfirmed values and records the confirmed ones. Returns the exit code: 0 done (also
 * when nothing needed confirming or the user declined some), 1 the confirmation could not be written (full disk,
 * read-only folder: nothing is confirmed and trust.json is unchanged), 2 without a terminal and without `--yes`.
 */
export async function runTrustConfig(loaded: LoadedConfig, store: TrustFile, options: { yes: boolean; json: boolean; line: TrustCommandLine }, io: TrustIo): Promise<number> {
  const folder = loaded.scopes?.workspace.folder ?? options.line.workspace;
  const all = loaded.scopes?.sensitive ?? [];
  const pending = all.filter((s) => s.status === 'unconfirmed');
  const report = (confirmed: readonly SensitiveValue[], declined: readonly SensitiveValue[]) => {
    const json = {
      folder,
      file: loaded.scopes?.workspace.file ?? loaded.source.path,
      trust_file: store.file,
      confirmed: confirmed.map((s) => ({ key: s.key, value: s.value })),
      not_confirmed: declined.map((s) => ({ key: s.key, value: s.value })),
      already_confirmed: all.filter((s) => s.status === 'confirmed').map((s) => ({ key: s.key, value: s.value })),
    };
    if (options.json) io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  };
  if (pending.length === 0) {
    if (!options.json) io.stdout.write(`Nothing to confirm for ${folder}: ${all.length === 0 ? 'the workspace file sets no sensitive value that would change anything' : 'every sensitive value of the workspace file is already confirmed'}.\n`);
    report([], []);
    return 0;
  }
  if (!options.yes && !(io.stdinIsTTY && io.stdin)) {
    io.stderr.write(`breakwater: ${pending.length === 1 ? 'this value needs' : `these ${pending.length} values need`} your confirmation for ${folder}:\n${pending.map(describeValue).join('')}Run this on a terminal to be asked about each, or confirm ${pending.length === 1 ? 'it' : 'them all'} with:\n  ${trustCommand(options.line)} --yes\n`);
    return 2;
  }
  let chosen: SensitiveValue[] = pending;
  if (!options.yes) chosen = await ask(pending, folder, io);
  const declined = pending.filter((s) => !chosen.includes(s));
  try {
    if (chosen.length > 0) await store.confirm(folder, chosen);
  } catch (e) {
    io.stderr.write(`breakwater: could not record the confirmation in ${store.file}: ${e instanceof Error ? e.message : String(e)}; nothing was confirmed (the file is unchanged)\n`);
    return 1;
  }
  if (!options.json) {
    if (chosen.length > 0) io.stdout.write(`Confirmed for ${folder} (recorded in ${store.file}):\n${chosen.map(describeValue).join('')}`);
    if (declined.length > 0) io.stdout.write(`Not confirmed (runs in this folder will not start while the workspace file sets ${declined.length === 1 ? 'it' : 'them'}):\n${declined.map(describeValue).join('')}`);
  }
  report(chosen, declined);
  return 0;
}

async function ask(values: readonly SensitiveValue[], folder: string, io: TrustIo): Promise<SensitiveValue[]> {
  const rl = readline.createInterface({ input: io.stdin!, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  const chosen: SensitiveValue[] = [];
  try {
    io.stderr.write(`The workspace file for ${folder} sets ${values.length === 1 ? 'a value' : 'values'} that can send your keys and prompts elsewhere or lift a protection.\n`);
    for (const v of values) {
      io.stderr.write(`\n${describeValue(v)}  Use this value for ${folder}? [y/N] > `);
      const next = await lines.next();
      if (next.done) break;
      if (/^(y|yes)$/i.test(String(next.value).trim())) chosen.push(v);
    }
  } finally {
    rl.close();
  }
  return chosen;
}

function quote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
