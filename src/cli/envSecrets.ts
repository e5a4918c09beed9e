import * as fs from 'node:fs';
import { environmentKeys } from '../core/providers/environmentKeys';
import type { SecretSource } from '../core/providers/types';
import { isSecretEnvName } from '../core/sandbox/childEnv';

/** The CLI reads provider keys from the environment only (never from the agents file), each bound to its origin. */
export function envSecrets(env: NodeJS.ProcessEnv): SecretSource {
  return environmentKeys(env);
}

/** What `withdrawSecrets` did: the values it took, and whether the kernel's copy is wiped too. */
export interface WithdrawnSecrets {
  /** Name → value of every credential-like variable, now only here (JavaScript memory). */
  readonly values: Readonly<Record<string, string>>;
  /** True when `/proc/self/environ` no longer shows them; false with `problem` when it could not be wiped. */
  readonly wiped: boolean;
  readonly problem?: string;
}

/**
 * Takes the API keys and other credentials out of this process's environment at start-up, so no
 * process can read them from `/proc/<pid>/environ` of the CLI: not a tool it starts, not that tool's
 * children (a child can read its grandparent's environ when no sandbox hides it), nothing else of the
 * user's. `delete process.env.X` is not enough: the kernel shows the original environment block on
 * the process's stack, whatever libc does later. So the names are unset (libc's `environ` no longer
 * points at them) and then their bytes in that block are overwritten with NULs through
 * `/proc/self/mem`, between the addresses `/proc/self/stat` gives as env_start and env_end. The values
 * live on only in the returned object. Linux only; elsewhere the names are still unset.
 */
export function withdrawSecrets(env: NodeJS.ProcessEnv = process.env): WithdrawnSecrets {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && isSecretEnvName(name)) values[name] = value;
  const names = Object.keys(values);
  for (const name of names) delete env[name];
  if (names.length === 0) return { values, wiped: true };
  if (process.platform !== 'linux') return { values, wiped: false, problem: `${process.platform} keeps the start-up environment where other processes of yours can read it, and Breakwater can rewrite it only on Linux` };
  try {
    wipeEnvironBlock(new Set(names));
    return { values, wiped: true };
  } catch (err) {
    return { values, wiped: false, problem: err instanceof Error ? err.message : String(err) };
  }
}

/** Overwrites each `NAME=value` entry of the kernel's environment block whose NAME is in `names`. */
function wipeEnvironBlock(names: ReadonlySet<string>): void {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  // Fields after the parenthesised command name start at field 3; env_start and env_end are fields 50 and 51.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[50 - 3]);
  const end = Number(fields[51 - 3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end <= start) throw new Error(`/proc/self/stat gives no usable environment block (${fields[47]}..${fields[48]})`);
  const fd = fs.openSync('/proc/self/mem', 'r+');
  try {
    const block = Buffer.alloc(end - start);
    const read = fs.readSync(fd, block, 0, block.length, start);
    let at = 0;
    while (at < read) {
      let stop = block.indexOf(0, at);
      if (stop < 0) stop = read;
      const eq = block.indexOf(0x3d, at);
      if (eq > at && eq < stop && names.has(block.toString('utf8', at, eq))) {
        const zeros = Buffer.alloc(stop - at);
        if (fs.writeSync(fd, zeros, 0, zeros.length, start + at) !== zeros.length) throw new Error('short write to /proc/self/mem');
      }
      at = stop + 1;
    }
  } finally {
    fs.closeSync(fd);
  }
}
