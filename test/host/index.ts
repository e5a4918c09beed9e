/**
 * The mocha runner that VS Code's extension host loads through `extensionTestsPath` (code-server via
 * scripts/host/run-host.ts, or desktop VS Code via scripts/host/run-electron.ts). It runs every bundled `*.test.js`
 * next to it (built from test/host/**\/*.test.ts by scripts/host/buildHostTests.ts) inside the real host, then writes
 * the results to the file named by BREAKWATER_HOST_RESULTS for the harness that waits for it.
 */
import { runSuite } from './support/runSuite';

export function run(): Promise<void> {
  return runSuite({ dir: __dirname });
}
