import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved, spread } from '../harness';

const repoRoot = path.resolve(__dirname, '..', '..');
const extensionJs = path.join(repoRoot, 'dist', 'extension.js');
const LOAD_SAMPLES = quick() ? 7 : 15;
/** Each activation needs a fresh VS Code (it activates once per host). */
const HOST_SESSIONS = Number(process.env.BENCH_HOST_SESSIONS ?? (quick() ? 1 : 3));

function timeRequire(module: string): number {
  return Number(execFileSync(process.execPath, [path.join(__dirname, '..', 'support', 'requireTimer.js'), module], { encoding: 'utf8' }));
}

/** Activation inside code-server (the host tier's harness), one fresh host per sample. */
async function activationInRealHost(): Promise<{ ms: number[]; version: string } | { error: string }> {
  const { runHostSession } = await import('../../scripts/host/hostSession');
  const probe = path.join(repoRoot, 'out', 'bench', 'host', 'activationProbe.js');
  await esbuild.build({ entryPoints: [path.join(__dirname, '..', 'host', 'activationProbe.ts')], outfile: probe, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  const ms: number[] = [];
  let version = '?';
  for (let i = 0; i < HOST_SESSIONS; i++) {
    const r = (await runHostSession({ testsEntry: probe, extensionDevelopmentPath: repoRoot, logPrefix: path.join(repoRoot, 'out', 'bench', 'host', `activation-${i}`), timeoutMs: 120_000 })) as { activationMs?: number; wasActive?: boolean; failures: { error: string }[]; vscodeVersion?: string };
    if (r.activationMs === undefined) return { error: r.failures.map((f) => f.error).join('; ') || 'no figure reported' };
    if (r.wasActive) return { error: 'the extension was already active before the probe ran, so its activation could not be timed' };
    ms.push(r.activationMs);
    version = r.vscodeVersion ?? version;
  }
  return { ms, version };
}

/**
 * Extension activation in the real VS Code host (code-server 1.100, driven by headless Chromium), the
 * bundle's load time (require with a stub `vscode`, fresh process each sample) against requiring an
 * empty module, and the bundle's size against the 2 MB bar.
 */
export const suite: BenchSuite = {
  name: 'activation',
  async run(): Promise<BenchResult[]> {
    if (!fs.existsSync(extensionJs)) throw new Error('dist/extension.js is missing: run node esbuild.js --production (npm run bench does)');
    const empty = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-empty-')), 'empty.js');
    fs.writeFileSync(empty, '');
    const load = await sampleInterleaved({ bundle: async () => timeRequire(extensionJs), empty: async () => timeRequire(empty) }, LOAD_SAMPLES);
    fs.rmSync(path.dirname(empty), { recursive: true, force: true });
    const bytes = fs.statSync(extensionJs).size;
    const minified = !fs.existsSync(`${extensionJs}.map`) || fs.statSync(`${extensionJs}.map`).mtimeMs < fs.statSync(extensionJs).mtimeMs;
    const results: BenchResult[] = [
      { name: 'activation: require dist/extension.js (stub vscode)', unit: 'ms', figure: load.bundle, baseline: { name: 'require an empty module', figure: load.empty }, note: 'fresh node process per sample' },
      { name: 'activation: dist/extension.js size', unit: 'MB', figure: spread([bytes / 1e6]), bar: { on: 'figure', max: 2, unit: 'MB' }, note: minified ? 'production build (minified)' : 'NOT a production build: run node esbuild.js --production first' },
    ];
    const vsix = fs.readdirSync(repoRoot).filter((f) => f.endsWith('.vsix')).map((f) => path.join(repoRoot, f)).sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    if (vsix) results.push({ name: `activation: ${path.basename(vsix)} size`, unit: 'MB', figure: spread([fs.statSync(vsix).size / 1e6]), bar: { on: 'figure', max: 3, unit: 'MB' }, note: 'the newest .vsix in the repository root (npm run package)' });
    const host = await activationInRealHost();
    if ('error' in host) throw Object.assign(new Error(`activation in the real host not measured — ${host.error}`), { partial: results });
    results.push({ name: 'activation: activate() in the real VS Code host', unit: 'ms', figure: spread(host.ms), baseline: { name: 'require dist/extension.js in plain node', figure: load.bundle }, bar: { on: 'figure', max: 50, unit: 'ms' }, note: `code-server (VS Code ${host.version}), one fresh host per sample; load + activate()` });
    return results;
  },
};
