/**
 * The sandbox could not be set up for this command (a protected name that is a symbolic link, too many
 * files to hide, a missing helper). The command does not run: failing closed is the point.
 */
export class SandboxSetupError extends Error {
  override name = 'SandboxSetupError';
}

export const isSandboxSetupError = (e: unknown): e is SandboxSetupError => e instanceof SandboxSetupError;

/** A command line the kernel would refuse with E2BIG; said before anything is spawned. */
export class CommandTooLongError extends Error {
  override name = 'CommandTooLongError';
  constructor(
    /** Bytes of the longest argument (or of all arguments and the environment together). */
    readonly bytes: number,
    /** The limit it exceeds, in bytes. */
    readonly limit: number,
    what: string,
  ) {
    super(
      `${what} is ${bytes} bytes; the operating system refuses more than ${limit} bytes (E2BIG), so nothing was run. ` +
        'Write the script to a file in the workspace with the write tool and run that file instead.',
    );
  }
}

export const isCommandTooLongError = (e: unknown): e is CommandTooLongError => e instanceof CommandTooLongError;
