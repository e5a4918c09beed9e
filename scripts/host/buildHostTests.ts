/**
 * Bundles the host suite for the extension host: test/host/index.ts and every test/host/**\/*.test.ts become
 * out/test/host/**\/*.js (node, cjs). `vscode` is the host's; mocha is required from node_modules at run time.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './codeServer';

export const hostTestsSrc = path.join(repoRoot, 'test', 'host');
export const hostTestsOut = path.join(repoRoot, 'out', 'test', 'host');
export const hostTestsEntry = path.join(hostTestsOut, 'index.js');

export async function buildHostTests(): Promise<string[]> {
  const tests = (fs.readdirSync(hostTestsSrc, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => path.join(hostTestsSrc, f));
  // Start clean, so a deleted test file does not keep running from a stale bundle.
  fs.rmSync(hostTestsOut, { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [path.join(hostTestsSrc, 'index.ts'), ...tests],
    outbase: hostTestsSrc,
    outdir: hostTestsOut,
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

if (require.main === module) {
  buildHostTests().then(
    (tests) => console.log(`host tests: bundled ${tests.length} test file(s) into ${path.relative(repoRoot, hostTestsOut)}`),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
