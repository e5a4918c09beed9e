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
    super(`${file}:${line}: invalid run event (${detail}). The log was edited or written by an incompatible version; move the file aside to start over.`);
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
  ) {
    super(`run ${runId} is being continued by another process (pid ${pid}); wait for it to finish or stop it first`);
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
