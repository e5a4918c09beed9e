import { runCli } from './cli';
import { withdrawSecrets } from './envSecrets';

// First of all: the keys leave this process's environment (and /proc/<pid>/environ) before anything
// can start a child; the CLI reads them from this object instead.
const secrets = withdrawSecrets(process.env);
if (!secrets.wiped) process.stderr.write(`breakwater: warning: could not wipe API keys from this process's start-up environment (${secrets.problem}); an unsandboxed command could read them (ps, /proc)\n`);

/** Exit status of a CLI stopped by a signal: 128 + the signal's number, as shells report it. */
const EXIT_BY_SIGNAL = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof EXIT_BY_SIGNAL;

const controller = new AbortController();
let stoppedBy: StopSignal | undefined;
// The first signal cancels the work like Ctrl-C: running commands (and their sandboxes) are killed and
// the run log records it. A second one exits at once; a sandbox still dies with this process.
for (const signal of Object.keys(EXIT_BY_SIGNAL) as StopSignal[]) {
  process.on(signal, () => {
    if (stoppedBy !== undefined) process.exit(EXIT_BY_SIGNAL[signal]);
    stoppedBy = signal;
    controller.abort(new Error(`interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal})`));
  });
}
// After SIGHUP the terminal may be gone: writing to it fails, and there is no one left to tell.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: { ...process.env, ...secrets.values },
  cwd: process.cwd(),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  signal: controller.signal,
})
  .then((code) => {
    process.exitCode = stoppedBy === undefined ? code : EXIT_BY_SIGNAL[stoppedBy];
  })
  .catch((err: unknown) => {
    process.stderr.write(`breakwater: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = stoppedBy === undefined ? 1 : EXIT_BY_SIGNAL[stoppedBy];
  })
  .finally(() => {
    // Stopped by a signal, the work is done and recorded: whatever still holds the event loop (a stdin
    // reader, a socket closing) must not keep the process alive. Unref'd, so a normal exit is not delayed.
    if (stoppedBy !== undefined) setTimeout(() => process.exit(), 1_000).unref();
  });
