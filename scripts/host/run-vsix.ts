/**
 * `npm run test:vsix`: packages Breakwater (scripts/package.mjs, which also checks size and contents), installs the
 * .vsix into a fresh code-server with `--install-extension`, and runs test/host/vsix inside it: the installed
 * extension activates and works. Writes test-results/vsix.json. BW_VSIX=path skips packaging and tests that file.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSuite, vsixSuite, vsixTestsEntry } from './buildHostTests';
import { codeServerEntry, HostSetupError, isHostSetupError, repoRoot } from './codeServer';
import { printHostResults, runHostSession, writeSummary } from './hostSession';

const resultsDir = path.join(repoRoot, 'test-results');
const summaryFile = path.join(resultsDir, 'vsix.json');

function packagedVsix(): string {
  if (process.env.BW_VSIX) return path.resolve(process.env.BW_VSIX);
  const r = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'package.mjs')], { cwd: repoRoot, encoding: 'utf8' });
  process.stdout.write(r.stdout.split('\n').slice(-4).join('\n'));
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}${r.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return path.join(repoRoot, `${manifest.name}-${manifest.version}.vsix`);
}

/** `code-server --install-extension`, the way a user installs a downloaded .vsix. */
async function installVsix(vsix: string, dirs: { extensionsDir: string; userDataDir: string }): Promise<Record<string, string>> {
  const r = spawnSync(
    process.execPath,
    [codeServerEntry, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, '--install-extension', vsix],
    { encoding: 'utf8', timeout: 120_000 },
  );
  if (r.status !== 0) throw new HostSetupError(`code-server --install-extension ${vsix} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  console.log(r.stdout.trim());
  return { BREAKWATER_VSIX_EXTENSIONS_DIR: dirs.extensionsDir };
}

/**
 * VS Code runs extensionTestsPath only in an extension-development session, so the suite rides on an empty probe
 * extension loaded for development; Breakwater itself comes from the installed .vsix.
 */
function writeProbeExtension(): string {
  const dir = path.join(repoRoot, 'out', 'test', 'vsix-probe');
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: 'breakwater-vsix-probe', publisher: 'breakwater-tests', version: '0.0.0', engines: { vscode: '^1.100.0' } };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

async function main(): Promise<number> {
  fs.rmSync(summaryFile, { force: true });
  fs.mkdirSync(resultsDir, { recursive: true });
  const vsix = packagedVsix();
  if (!fs.existsSync(vsix)) throw new Error(`no .vsix at ${vsix}`);
  await buildSuite(vsixSuite);
  const results = await runHostSession({
    testsEntry: vsixTestsEntry,
    extensionDevelopmentPath: writeProbeExtension(),
    beforeStart: (dirs) => installVsix(vsix, dirs),
    logPrefix: path.join(resultsDir, 'vsix'),
  });
  printHostResults(`${path.basename(vsix)} installed`, results);
  writeSummary(summaryFile, results);
  return results.failed === 0 && results.passed > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`\n✘ vsix tier: ${isHostSetupError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
