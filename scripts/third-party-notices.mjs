#!/usr/bin/env node
// Writes ThirdPartyNotices.txt: the name, version, license and license text of every production dependency that the
// bundles in dist/ carry (esbuild strips their license comments when it minifies, so the .vsix ships them here).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const listed = spawnSync(npm, ['ls', '--omit=dev', '--all', '--parseable'], { cwd: root, encoding: 'utf8' });
if (listed.status !== 0 && !listed.stdout) {
  console.error(`✘ third-party notices: npm ls failed:\n${listed.stderr}`);
  process.exit(1);
}
const dirs = [...new Set(listed.stdout.split('\n').map((l) => l.trim()).filter((l) => l && l !== root))].sort();
const licenseFile = (dir) => fs.readdirSync(dir).find((f) => /^(licen[sc]e|copying)(\.|$)/i.test(f));

const sections = [];
const missing = [];
for (const dir of dirs) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const file = licenseFile(dir);
  const license = typeof manifest.license === 'string' ? manifest.license : manifest.license?.type ?? 'see text';
  if (!file) missing.push(`${manifest.name}@${manifest.version}`);
  const text = file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() : `(no license file in the package; its package.json says: ${license})`;
  sections.push(`${manifest.name}@${manifest.version} — ${license}\n${'-'.repeat(78)}\n${text}\n`);
}
const header = `Breakwater ships the following third-party packages, bundled into dist/.\n${'='.repeat(78)}\n\n`;
fs.writeFileSync(path.join(root, 'ThirdPartyNotices.txt'), header + sections.join('\n'));
console.log(`wrote ThirdPartyNotices.txt (${sections.length} packages${missing.length ? `; no license file in: ${missing.join(', ')}` : ''})`);
