import { hostname } from 'node:os';

const corruptBrand = Symbol.for('breakwater.RunLogCorruptError');
const lockedBrand = Symbol.for('breakwater.RunLockedError');

/** A line in the middle of a run log is not a valid event: the log cannot be trusted past it. */
export class RunLogCorruptError extends Error {
  readonly [corruptBrand] = true;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}: invalid run event (${detail}). The log was damaged, edited, or written by an incompatible version: repair the run (the log is cut before line ${line} and the rest is saved aside) to continue it from the last good event, or archive it.`);
    this.name = 'RunLogCorruptError';
  }
}

export function isRunLogCorruptError(e: unknown): e is RunLogCorruptError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[corruptBrand] === true;
}

/** Another live process is writing this run. */
export class RunLockedError extends Error {
  readonly [lockedBrand] = true;
  constructor(
    readonly runId: string,
    readonly pid: number,
    /** The machine the holder runs on (a store on a shared disk); absent: this one. */
    readonly host?: string,
  ) {
    super(`run ${runId} is being continued by another process (pid ${pid}${host && host !== hostname() ? ` on ${host}` : ''}); wait for it to finish or stop it first`);
    this.name = 'RunLockedError';
  }
}

export function isRunLockedError(e: unknown): e is RunLockedError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[lockedBrand] === true;
}

const wrongKindBrand = Symbol.for('breakwater.WrongRunKindError');

/** A task run's id where an agent run was expected, or the other way round. */
export class WrongRunKindError extends Error {
  readonly [wrongKindBrand] = true;
  constructor(
    readonly runId: string,
    /** What the id really is. */
    readonly actual: 'run' | 'task',
  ) {
    super(actual === 'task' ? `${runId} is a task run, not an agent run; continue it with --resume ${runId} (its steps are runs of their own)` : `${runId} is an agent run, not a task run`);
    this.name = 'WrongRunKindError';
  }
}

export function isWrongRunKindError(e: unknown): e is WrongRunKindError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[wrongKindBrand] === true;
}

const conflictBrand = Symbol.for('breakwater.RunLogConflictError');

/**
 * The log is not what this writer last wrote: another process appended to it, or it was moved or
 * replaced. Nothing more is written (a second writer must never interleave with the first).
 */
export class RunLogConflictError extends Error {
  readonly [conflictBrand] = true;
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file} changed under its writer (${detail}); stopped writing so that no event is duplicated or lost. Resume the run to continue from what the log says.`);
    this.name = 'RunLogConflictError';
  }
}

export function isRunLogConflictError(e: unknown): e is RunLogConflictError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[conflictBrand] === true;
}

const noRunBrand = Symbol.for('breakwater.NoSuchRunError');

/** No log for this run id in the store. */
export class NoSuchRunError extends Error {
  readonly [noRunBrand] = true;
  constructor(
    readonly runId: string,
    readonly root: string,
  ) {
    super(`no run ${runId} in ${root}; list runs with --runs (and check --store)`);
    this.name = 'NoSuchRunError';
  }
}

export function isNoSuchRunError(e: unknown): e is NoSuchRunError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[noRunBrand] === true;
}
