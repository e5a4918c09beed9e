/**
 * `npm run test:host`: builds the extension and the host suites, runs them inside a real VS Code (code-server)
 * extension host driven by headless Chromium, prints each test, writes test-results/host.json (all sessions added up),
 * exits 0 only if all passed. Two sessions: the host suite in a trusted window (--disable-workspace-trust), and the
 * Restricted Mode suite with Workspace Trust on and the folder never trusted.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isHostSetupError, repoRoot } from './codeServer';
import { buildHostTests, buildSuite, hostTestsEntry, restrictedSuite, restrictedTestsEntry } from './buildHostTests';
import { printHostResults, runHostSession, writeSummary, type HostResults } from './hostSession';

const resultsDir = path.join(repoRoot, 'test-results');
const summaryFile = path.join(resultsDir, 'host.json');

async function main(): Promise<number> {
  fs.rmSync(summaryFile, { force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const build = spawnSync(process.execPath, [path.join(repoRoot, 'esbuild.js')], { cwd: repoRoot, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('building the extension failed (node esbuild.js)');
  const tests = [...(await buildHostTests()), ...(await buildSuite(restrictedSuite))];
  console.log(`host: ${tests.length} test file(s): ${tests.map((t) => path.relative(repoRoot, t)).join(', ')}`);

  const sessions: { label: string; run: () => Promise<HostResults> }[] = [
    { label: 'host suite', run: () => runHostSession({ testsEntry: hostTestsEntry, extensionDevelopmentPath: repoRoot, logPrefix: path.join(resultsDir, 'host') }) },
    {
      label: 'Restricted Mode suite (Workspace Trust on, the folder not trusted)',
      run: () => runHostSession({ testsEntry: restrictedTestsEntry, extensionDevelopmentPath: repoRoot, keepWorkspaceTrust: true, logPrefix: path.join(resultsDir, 'host-restricted') }),
    },
  ];
  const total: HostResults = { passed: 0, failed: 0, pending: 0, failures: [] };
  for (const session of sessions) {
    const results = await session.run();
    printHostResults(session.label, results);
    total.passed += results.passed;
    total.failed += results.failed;
    total.pending += results.pending;
    total.failures.push(...results.failures);
    // A session that ran no test did not really run.
    if (results.passed + results.failed === 0) total.failures.push({ title: session.label, error: 'ran no test' });
  }
  writeSummary(summaryFile, total);
  return total.failed === 0 && total.failures.length === 0 && total.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`\n✘ host tier: ${isHostSetupError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
