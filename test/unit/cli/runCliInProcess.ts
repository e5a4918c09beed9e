import { PassThrough } from 'node:stream';
import { runCli } from '../../../src/cli/cli';
import { TEST_STATE_HOME } from '../../fixtures/stateHome';

/**
 * Runs the CLI in this process with captured stdout/stderr, no terminal, and exactly the given environment
 * (plus `XDG_STATE_HOME` in the temp folder unless given, so the default store never lands in the real home).
 */
export async function runCliInProcess(args: string[], cwd: string, givenEnv: NodeJS.ProcessEnv) {
  const env = { XDG_STATE_HOME: TEST_STATE_HOME, ...givenEnv };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout, stderr, env, cwd, stdinIsTTY: false });
  return { code, out, err, json: <T = Record<string, any>>() => JSON.parse(out) as T }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
