import { PassThrough } from 'node:stream';
import { runCli } from '../../../src/cli/cli';

/** Runs the CLI in this process with captured stdout/stderr, no terminal, and exactly the given environment. */
export async function runCliInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(args, { stdout, stderr, env, cwd, stdinIsTTY: false });
  return { code, out, err, json: <T = Record<string, any>>() => JSON.parse(out) as T }; // eslint-disable-line @typescript-eslint/no-explicit-any
}
