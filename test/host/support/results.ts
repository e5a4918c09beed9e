/**
 * What the host suite reports back to the harness: the mocha-summary-reporter shape {passed, failed, pending, failures}
 * plus each test's title and state so the terminal can show them. Written atomically (temp + rename), so the harness
 * that polls for the file never reads half of it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type Mocha from 'mocha';

export interface HostTestRecord {
  readonly title: string;
  readonly state: 'passed' | 'failed' | 'pending';
  readonly durationMs?: number;
}

export interface HostResults {
  passed: number;
  failed: number;
  pending: number;
  failures: { title: string; error: string }[];
  tests: HostTestRecord[];
  vscodeVersion?: string;
  appName?: string;
}

/** The env var through which the harness names the results file. */
export const hostResultsEnvVar = 'BREAKWATER_HOST_RESULTS';

export function resultsFileFromEnv(): string | undefined {
  return process.env[hostResultsEnvVar] || undefined;
}

export class HostResultsRecorder {
  private readonly results: HostResults = { passed: 0, failed: 0, pending: 0, failures: [], tests: [] };

  constructor(private readonly file: string | undefined) {}

  attach(runner: Mocha.Runner): void {
    runner.on('pass', (test) => {
      this.results.passed++;
      this.results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
    });
    runner.on('pending', (test) => {
      this.results.pending++;
      this.results.tests.push({ title: test.fullTitle(), state: 'pending' });
    });
    runner.on('fail', (test, err: unknown) => {
      this.results.failed++;
      this.results.failures.push({ title: test.fullTitle(), error: describeError(err) });
      this.results.tests.push({ title: test.fullTitle(), state: 'failed', durationMs: test.duration });
    });
  }

  recordLoadError(error: unknown): void {
    this.results.failed++;
    this.results.failures.push({ title: 'loading the host test files', error: describeError(error) });
  }

  /** `host` names where the tests ran (VS Code version, app name): the harness prints it as proof. */
  write(host: { vscodeVersion: string; appName: string }): void {
    if (!this.file) return;
    Object.assign(this.results, host);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(this.results, null, 2));
    fs.renameSync(temp, this.file);
  }
}

function describeError(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}
