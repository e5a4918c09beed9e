import * as os from 'node:os';
import * as path from 'node:path';
import type { Decision } from './decisions';
import { askEveryTime, block } from './decisions';
import { isInsideFolder } from './pathForms';
import { globSegment, procWordReason } from './procEnviron';
import { secretReadReason } from './protectedPaths';
import type { ShellWord } from './shellScript';
import type { CommandPolicyOptions } from './commandPolicyOptions';

/** Names that fall under the secret-file rule, and one that does not (a glob matching both names everything). */
const SECRET_SAMPLES = ['.env', '.env.local', 'server.pem', 'tls.key', 'id_rsa'];
const NEUTRAL_SAMPLE = 'notes.txt';

/**
 * Rules on each word of a command (arguments, and the same rules on redirection targets elsewhere):
 * a process environment or /proc asks every time; a secret file by name or by a glob that picks
 * secret names asks every time; a path inside the run store is a hard block. These make the request
 * visible; the OS sandbox is what keeps the files out of reach.
 */
export function wordDecisions(word: ShellWord, options: Pick<CommandPolicyOptions, 'cwd' | 'sandbox'>): Decision[] {
  const out: Decision[] = [];
  const proc = procWordReason(word);
  if (proc !== undefined) out.push(askEveryTime(proc));
  const secret = secretWordReason(word);
  if (secret !== undefined) out.push(askEveryTime(secret));
  const store = storeWordReason(word, options);
  if (store !== undefined) out.push(block(store));
  return out;
}

export function secretWordReason(word: ShellWord): string | undefined {
  const value = word.value;
  if (value === null) return undefined;
  const operand = value.includes('=') && value.startsWith('-') ? value.slice(value.indexOf('=') + 1) : value;
  const base = path.posix.basename(operand);
  if (base === '' || base === '.' || base === '..') return undefined;
  if (!word.expands) {
    const reason = secretReadReason(base);
    return reason === undefined ? undefined : `it names a secret file: ${reason} (secret-file rule: .env*, *.pem, *.key, id_rsa*)`;
  }
  const re = globSegment(base);
  if (SECRET_SAMPLES.some((s) => re.test(s)) && !re.test(NEUTRAL_SAMPLE)) return `the pattern ${word.raw} picks secret files (secret-file rule: .env*, *.pem, *.key, id_rsa*)`;
  return undefined;
}

function storeWordReason(word: ShellWord, options: Pick<CommandPolicyOptions, 'cwd' | 'sandbox'>): string | undefined {
  if (options.sandbox === undefined || word.value === null) return undefined;
  const value = word.value.startsWith('-') && word.value.includes('=') ? word.value.slice(word.value.indexOf('=') + 1) : word.value;
  if (value === '' || value.startsWith('-')) return undefined;
  // `~/…` is this user's home (`~user` is someone else's: not where the store is).
  if (word.tilde && !/^~(\/|$)/.test(value)) return undefined;
  const absolute = word.tilde ? path.join(os.homedir(), value.slice(1)) : path.resolve(options.cwd, value);
  const inside = options.sandbox.storeRoots().some((root) => isInsideFolder(root, absolute, path));
  return inside ? `${word.raw} is inside Breakwater's run store, which commands may never read or change` : undefined;
}
