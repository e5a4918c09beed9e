/**
 * Root hooks for every e2e file (loaded by test/e2e/.mocharc.json): a failed test leaves a screenshot of each open
 * workbench in test-results/, and no workbench outlives the run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Mocha from 'mocha';
import { openWorkbenches, resultsDir, screenshot } from './workbench';

export const mochaHooks: Mocha.RootHookObject = {
  beforeAll() {
    // Failure screenshots from an earlier run would pass for this run's.
    if (!fs.existsSync(resultsDir)) return;
    for (const f of fs.readdirSync(resultsDir)) if (f.startsWith('e2e-failure-')) fs.rmSync(path.join(resultsDir, f));
  },
  async afterEach(this: Mocha.Context) {
    const test = this.currentTest;
    if (test?.state !== 'failed') return;
    let i = 0;
    for (const wb of openWorkbenches) {
      const file = await screenshot(wb.page, `e2e-failure-${test.fullTitle()}${i++ ? `-${i}` : ''}`).catch(() => undefined);
      if (file) console.log(`    screenshot of the failure: ${file}`);
    }
  },
  async afterAll() {
    for (const wb of [...openWorkbenches]) await wb.close();
  },
};
