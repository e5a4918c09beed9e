const brand = Symbol.for('breakwater.StoreWriteError');

/** Error codes that mean the store cannot take writes (full, read-only, no permission, broken disk). */
const STORE_FAULTS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the store is on a read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
  EFBIG: 'file too large',
  EISDIR: 'a folder is where a file should be',
  ENOTDIR: 'a file is where a folder should be',
};

/**
 * Something the run had to record before going on could not be written to the store: the run stops here,
 * before the side effect it could not record, and can be resumed once the store takes writes again.
 */
export class StoreWriteError extends Error {
  readonly [brand] = true;
  constructor(
    /** What could not be recorded, in words ("the start of a call to anthropic@…"). */
    readonly what: string,
    readonly file: string,
    /** The errno code (`ENOSPC`, `EROFS`, …). */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(`could not record ${what} in ${file}: ${STORE_FAULTS[code] ?? code} (${code}). Nothing further was done; free space or make the store writable (--store, BREAKWATER_STORE), then resume the run.`, options);
    this.name = 'StoreWriteError';
  }
}

export function isStoreWriteError(e: unknown): e is StoreWriteError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/** The errno code of `err` when it means the store cannot take writes, else undefined. */
export function storeFaultCode(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && code in STORE_FAULTS ? code : undefined;
}

/** Runs a write; a store fault becomes a `StoreWriteError` naming what and where, anything else is rethrown. */
export function recording<T>(what: string, file: string, write: () => T): T {
  try {
    return write();
  } catch (err) {
    throw asStoreWriteError(err, what, file);
  }
}

export function asStoreWriteError(err: unknown, what: string, file: string): unknown {
  if (isStoreWriteError(err)) return err;
  const code = storeFaultCode(err);
  return code === undefined ? err : new StoreWriteError(what, file, code, { cause: err });
}
