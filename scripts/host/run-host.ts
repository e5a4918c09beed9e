/**
 * `npm run test:host`: builds the extension and the host suite, runs the suite inside a real VS Code (code-server)
 * extension host driven by headless Chromium, prints each test, writes test-results/host.json, exits 0 only if all passed.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHostSetupError, repoRoot } from './codeServer';
import { buildHostTests, hostTestsEntry } from './buildHostTests';
import { printHostResults, runHostSession, writeSummary } from './hostSession';

const resultsDir = path.join(repoRoot, 'test-results');
const summaryFile = path.join(resultsDir, 'host.json');

async function main(): Promise<number> {
  fs.rmSync(summaryFile, { force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the extension failed (node esbuild.js)');
  const tests = await buildHostTests();
  console.log(`host: ${tests.length} test file(s): ${tests.map((t) => path.relative(repoRoot, t)).join(', ')}`);

  const results = await runHostSession({
    testsEntry: hostTestsEntry,
    extensionDevelopmentPath: repoRoot,
    logPrefix: path.join(resultsDir, 'host'),
  });
  printHostResults('host suite', results);
  writeSummary(summaryFile, results);
  return results.failed === 0 && results.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`\n✘ host tier: ${isHostSetupError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
