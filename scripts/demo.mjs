#!/usr/bin/env node
// `npm run demo` on a fresh clone: installs what is needed (scripts/setup.sh: Debian packages, npm ci, code-server),
// builds the extension, then runs scripts/host/demoServer.ts, which starts a real VS Code with Breakwater on a copy of
// the sample workspace and prints its URL. Runs until Ctrl-C. Only Node built-ins here: node_modules may not exist yet.
import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

function step(title, command, args) {
  console.log(`▶ [demo] ${title}`);
  const r = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`✘ demo: ${title} failed (${command} ${args.join(' ')} exited with ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

step('install what is needed', 'bash', [path.join(root, 'scripts', 'setup.sh')]);
step('build', process.execPath, [path.join(root, 'esbuild.js')]);

const server = spawn(process.execPath, [path.join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(root, 'scripts', 'host', 'demoServer.ts')], {
  cwd: root,
  stdio: 'inherit',
});
// Ctrl-C reaches the server directly (same process group); this process just waits for it to finish cleaning up.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => server.kill('SIGTERM'));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
