// A spec reporter that also writes {passed, failed, pending, failures[]} to the file named by
// --reporter-option out=FILE, so scripts/test-all.mjs can add up the tiers.
const Mocha = require('mocha');
const fs = require('node:fs');
const path = require('node:path');

const { EVENT_RUN_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const out = options?.reporterOptions?.out ?? options?.reporterOption?.out;
    const summary = { passed: 0, failed: 0, pending: 0, failures: [] };
    runner.on(EVENT_TEST_PASS, () => summary.passed++);
    runner.on(EVENT_TEST_PENDING, () => summary.pending++);
    runner.on(EVENT_TEST_FAIL, (test, err) => {
      summary.failed++;
      summary.failures.push({ title: test.fullTitle(), error: String(err && (err.stack || err.message) || err) });
    });
    runner.once(EVENT_RUN_END, () => {
      if (!out) return;
      fs.mkdirSync(path.dirname(out), { recursive: true });
      fs.writeFileSync(out, JSON.stringify(summary, null, 2));
    });
  }
}

module.exports = SummaryReporter;
