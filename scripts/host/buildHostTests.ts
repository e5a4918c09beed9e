/**
 * Bundles the suites that run inside the extension host (node, cjs; `vscode` is the host's, mocha is required from
 * node_modules at run time):
 *   host  test/host/index.ts + every test/host/**\/*.test.ts  →  out/test/host/
 *   vsix  test/host/vsix/index.ts + every *.vsix.ts            →  out/test/vsix/
 *   restricted  test/host/restricted/index.ts + every *.restricted.ts  →  out/test/host-restricted/ (a session of its
 *         own with Workspace Trust on and the folder untrusted; see run-host.ts)
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './codeServer';

interface SuiteLayout {
  readonly srcDir: string;
  readonly outDir: string;
  /** Source file name ending that marks a test file. */
  readonly suffix: string;
}

export const hostSuite: SuiteLayout = {
  srcDir: path.join(repoRoot, 'test', 'host'),
  outDir: path.join(repoRoot, 'out', 'test', 'host'),
  suffix: '.test.ts',
};
export const vsixSuite: SuiteLayout = {
  srcDir: path.join(repoRoot, 'test', 'host', 'vsix'),
  outDir: path.join(repoRoot, 'out', 'test', 'vsix'),
  suffix: '.vsix.ts',
};
export const restrictedSuite: SuiteLayout = {
  srcDir: path.join(repoRoot, 'test', 'host', 'restricted'),
  outDir: path.join(repoRoot, 'out', 'test', 'host-restricted'),
  suffix: '.restricted.ts',
};
export const hostTestsEntry = path.join(hostSuite.outDir, 'index.js');
export const restrictedTestsEntry = path.join(restrictedSuite.outDir, 'index.js');
export const vsixTestsEntry = path.join(vsixSuite.outDir, 'index.js');

/** Bundles one suite's index.ts and test files; returns the test files' source paths. */
export async function buildSuite(suite: SuiteLayout): Promise<string[]> {
  const tests = (fs.readdirSync(suite.srcDir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(suite.suffix))
    .map((f) => path.join(suite.srcDir, f));
  // Start clean, so a deleted test file does not keep running from a stale bundle.
  fs.rmSync(suite.outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(suite.srcDir, 'index.ts'), ...tests],
    outbase: suite.srcDir,
    outdir: suite.outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha'],
    sourcemap: 'inline',
    logLevel: 'warning',
  });
  return tests;
}

export const buildHostTests = (): Promise<string[]> => buildSuite(hostSuite);

if (require.main === module) {
  Promise.all([buildSuite(hostSuite), buildSuite(vsixSuite), buildSuite(restrictedSuite)]).then(
    ([host, vsix, restricted]) => console.log(`bundled ${host.length} host, ${vsix.length} vsix and ${restricted.length} restricted test file(s) into out/test/`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
