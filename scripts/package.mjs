#!/usr/bin/env node
// `npm run package`: a production build, then `vsce package --no-dependencies` (every dependency is bundled into
// dist/), then checks what a marketplace reviewer would: the .vsix is ≤ 3 MB, dist/extension.js ≤ 2 MB, and it holds
// no sources, tests, fixtures, node_modules, source maps or native binaries. Prints the .vsix path on success.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const MB = 1024 * 1024;
const limits = { vsixBytes: 3 * MB, extensionJsBytes: 2 * MB };
/** Paths that must never ship, each with the reason a reader of the failure needs. */
const forbidden = [
  [/^src\//, 'TypeScript sources'],
  [/^test\//, 'tests and fixtures'],
  [/(^|\/)node_modules\//, 'node_modules (dependencies are bundled into dist/)'],
  [/\.ts$/, 'TypeScript files'],
  [/\.map$/, 'source maps'],
  [/\.node$/, 'native binaries'],
  [/^(\.vscode-test|out|bench|scripts|\.ci|docs)\//, 'build and test tooling'],
];

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: options.capture ? 'pipe' : 'inherit' });
  if (r.status !== 0) {
    if (options.capture) process.stderr.write(r.stdout + r.stderr);
    console.error(`✘ package: ${command} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
    process.exit(1);
  }
  return r.stdout;
}

const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const vsix = path.join(root, `${manifest.name}-${manifest.version}.vsix`);
const vsce = path.join(root, 'node_modules', '@vscode', 'vsce', 'vsce');

// A clean dist/, so nothing from a development build (source maps, stale bundles) can slip in.
fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, [path.join(root, 'esbuild.js'), '--production']);
run(process.execPath, [path.join(root, 'scripts', 'third-party-notices.mjs')]);
fs.rmSync(vsix, { force: true });
// The marketplace shows README.md away from the repository, so its relative links and images (the e2e screenshots)
// must become absolute; vsce only guesses that for GitHub/GitLab URLs.
const repositoryUrl = String(manifest.repository?.url ?? manifest.repository ?? '').replace(/\.git$/, '');
if (!/^https:\/\//.test(repositoryUrl)) {
  console.error('✘ package: package.json needs repository.url (https://…) so README links and images resolve in the marketplace');
  process.exit(1);
}
const baseUrl = `${repositoryUrl}/raw/HEAD/`;
run(process.execPath, [vsce, 'package', '--no-dependencies', '--out', vsix, '--baseContentUrl', baseUrl, '--baseImagesUrl', baseUrl]);

const files = run(process.execPath, [vsce, 'ls', '--no-dependencies'], { capture: true })
  .split('\n')
  .map((l) => l.trim())
  .filter(Boolean);
const problems = [];
for (const file of files) {
  for (const [pattern, what] of forbidden) if (pattern.test(file)) problems.push(`${file}: ${what} must not ship (fix .vscodeignore)`);
}
const vsixBytes = fs.statSync(vsix).size;
const extensionJsBytes = fs.statSync(path.join(root, 'dist', 'extension.js')).size;
if (vsixBytes > limits.vsixBytes) problems.push(`the .vsix is ${(vsixBytes / MB).toFixed(2)} MB, over the ${limits.vsixBytes / MB} MB limit`);
if (extensionJsBytes > limits.extensionJsBytes) {
  problems.push(`dist/extension.js is ${(extensionJsBytes / MB).toFixed(2)} MB, over the ${limits.extensionJsBytes / MB} MB limit`);
}

console.log(`\n${path.relative(root, vsix)}: ${(vsixBytes / MB).toFixed(2)} MB (limit 3), extension.js ${(extensionJsBytes / MB).toFixed(2)} MB (limit 2), ${files.length} files:`);
for (const f of files) console.log(`  ${f}`);
if (problems.length > 0) {
  console.error(`\n✘ package: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`\n✔ ${vsix}`);
