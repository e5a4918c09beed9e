import * as path from 'node:path';
import type { Decision } from './decisions';
import { askEveryTime, block } from './decisions';
import { protectedWriteReason } from './protectedPaths';
import { cwdForRedirects } from './shellCwd';
import type { ShellRedirect, ShellStep } from './shellScript';
import type { WorkspaceSandbox } from './workspaceSandbox';

/** Operators that open their target for writing (`>&` with a file name is bash's `&>`). */
const WRITE_OPS = new Set(['>', '>>', '>|', '<>', '&>', '&>>', '>&']);
const HARMLESS_DEVICES = /^\/dev\/(null|stdout|stderr|tty|zero|fd\/[0-9]+)$/;
/** bash opens a network connection for these paths itself, with no program the lists could stop. */
const NETWORK_PATHS = /^\/dev\/(tcp|udp)\//;

/**
 * Every redirection of a script, judged where it may write from: writing outside the workspace (or
 * to a device, or into the home folder) is a hard block; a target the shell computes, or a folder the
 * policy cannot follow after a `cd`, needs approval every time; protected paths ask every time.
 */
export async function judgeRedirects(steps: readonly ShellStep[], start: string, sandbox: WorkspaceSandbox): Promise<Decision[]> {
  const cwds = cwdForRedirects(steps, start);
  const out: Decision[] = [];
  for (const [i, step] of steps.entries()) {
    if (step.kind !== 'redirect') continue;
    const folders = cwds.get(i) ?? 'unknown';
    out.push(...(await judgeRedirect(step.redirect, folders, sandbox)));
  }
  return out;
}

async function judgeRedirect(r: ShellRedirect, folders: readonly string[] | 'unknown', sandbox: WorkspaceSandbox): Promise<Decision[]> {
  const { target } = r;
  const value = target.value;
  if (value !== null && NETWORK_PATHS.test(value)) return [block(`the redirection to ${value} opens a network connection from the shell`)];
  if (!WRITE_OPS.has(r.op)) return judgeRead(r, folders, sandbox);
  // `2>&1`, `>&-`: duplicating or closing a descriptor opens no file.
  if (r.op === '>&' && value !== null && /^([0-9]+|-)$/.test(value)) return [];
  if (value === null || target.expands) return [askEveryTime(`the redirection target "${target.raw}" is computed by the shell`)];
  if (target.tilde) return [block(`the redirection writes to "${target.raw}" in the home folder, outside the workspace`)];
  if (HARMLESS_DEVICES.test(value)) return [];
  if (value.startsWith('/dev/')) return [block(`the redirection writes to the device ${value}`)];
  let absolutes: string[];
  if (path.isAbsolute(value)) absolutes = [value];
  else if (folders === 'unknown') return [askEveryTime(`the redirection target "${value}" depends on a cd the policy cannot follow`)];
  else absolutes = folders.map((f) => path.resolve(f, value));
  const out: Decision[] = [];
  for (const absolute of new Set(absolutes)) {
    const resolved = await sandbox.resolve(absolute, 'write');
    if (!resolved.ok) {
      out.push(block(`the redirection to "${value}" is refused${absolutes.length > 1 ? ` (from ${path.dirname(absolute)})` : ''}: ${resolved.reason}`));
      continue;
    }
    const prot = protectedWriteReason(resolved.relativePath);
    if (prot !== undefined) out.push(askEveryTime(`the redirection writes to ${resolved.relativePath}: ${prot}`));
  }
  return out;
}

/**
 * A redirection that reads (`< file`, `<> file`, `<& file`), from each folder it may run in: the run
 * store and ignored paths are hard blocks, as for every tool (its word rules — /proc, secrets — are
 * applied by the policy). Here-documents and here-strings are text, not files.
 */
async function judgeRead(r: ShellRedirect, folders: readonly string[] | 'unknown', sandbox: WorkspaceSandbox): Promise<Decision[]> {
  if (r.op === '<<' || r.op === '<<-' || r.op === '<<<') return [];
  if (r.op === '<&' && r.target.value !== null && /^([0-9]+|-)$/.test(r.target.value)) return [];
  const out: Decision[] = [];
  const value = r.target.value;
  if (value === null || r.target.expands || r.target.tilde) return out;
  const absolutes = path.isAbsolute(value) ? [value] : folders === 'unknown' ? [] : folders.map((f) => path.resolve(f, value));
  for (const absolute of new Set(absolutes)) {
    const resolved = await sandbox.resolve(absolute, 'read');
    if (!resolved.ok && (resolved.code === 'store' || resolved.code === 'ignored')) out.push(block(`the redirection reads "${value}": ${resolved.reason}`));
  }
  return out;
}
