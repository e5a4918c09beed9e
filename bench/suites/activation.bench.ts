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
const HOST_SESSIONS = Number(process.env.BENCH_HOST_SESSIONS ?? (quick() ? 2 : 6));

function timeRequire(module: string): number {
  return Number(execFileSync(process.execPath, [path.join(__dirname, '..', 'support', 'requireTimer.js'), module], { encoding: 'utf8' }));
}

const emptyExtension = path.join(__dirname, '..', 'fixtures', 'empty-extension');

/**
 * Packages the empty extension (bench/fixtures/empty-extension) as a .vsix under the name `name`, to install into
 * each host: once as the baseline, once as the warm-up activated before both measured ones.
 */
function packageEmptyExtension(name: string): string {
  const dir = path.join(repoRoot, 'out', 'bench', 'host', name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(emptyExtension, dir, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, name }, null, 2));
  const vsix = `${dir}.vsix`;
  const vsce = path.join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--out', vsix], { cwd: dir, stdio: 'pipe' });
  return vsix;
}

interface HostActivation {
  readonly breakwaterMs: number[];
  readonly emptyMs: number[];
  readonly warmupMs: number[];
  version: string;
}

/**
 * Activation inside code-server (the host tier's harness), one fresh host per sample: Breakwater (loaded for
 * development) and the empty extension (installed from its .vsix) activated by the same probe in the same host,
 * in alternating order, after a second copy of the empty extension: the host's first activation pays for setting
 * up the activation machinery (hundreds of ms here), which neither measured extension should be charged.
 */
async function activationInRealHost(): Promise<HostActivation | { error: string }> {
  const { runHostSession } = await import('../../scripts/host/hostSession');
  const { codeServerEntry } = await import('../../scripts/host/codeServer');
  const probe = path.join(repoRoot, 'out', 'bench', 'host', 'activationProbe.js');
  await esbuild.build({ entryPoints: [path.join(__dirname, '..', 'host', 'activationProbe.ts')], outfile: probe, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  let vsixes: string[];
  try {
    vsixes = ['bench-empty-extension', 'bench-empty-warmup'].map(packageEmptyExtension);
  } catch (e) {
    return { error: `could not package bench/fixtures/empty-extension: ${(e as { stderr?: Buffer }).stderr?.toString() ?? String(e)}` };
  }
  const out: HostActivation = { breakwaterMs: [], emptyMs: [], warmupMs: [], version: '?' };
  for (let i = 0; i < HOST_SESSIONS; i++) {
    const order = i % 2 === 0 ? 'breakwater-first' : 'empty-first';
    const r = (await runHostSession({
      testsEntry: probe,
      extensionDevelopmentPath: repoRoot,
      env: { BENCH_ACTIVATION_ORDER: order },
      beforeStart: async (dirs) => {
        const install = vsixes.flatMap((v) => ['--install-extension', v]);
        execFileSync(process.execPath, [codeServerEntry, '--user-data-dir', dirs.userDataDir, '--extensions-dir', dirs.extensionsDir, ...install], { stdio: 'pipe', timeout: 120_000 });
      },
      logPrefix: path.join(repoRoot, 'out', 'bench', 'host', `activation-${i}`),
      timeoutMs: 120_000,
    })) as { activationMs?: number; emptyMs?: number; warmupMs?: number; ownMs?: number; wasActive?: boolean; emptyWasActive?: boolean; failures: { error: string }[]; vscodeVersion?: string };
    if (r.activationMs === undefined || r.emptyMs === undefined) return { error: r.failures.map((f) => f.error).join('; ') || 'no figure reported' };
    if (r.wasActive || r.emptyWasActive) return { error: `${r.wasActive ? 'Breakwater' : 'the empty extension'} was already active before the probe ran, so its activation could not be timed` };
    process.stderr.write(`  host ${i + 1}/${HOST_SESSIONS} (${order}): warm-up ${r.warmupMs?.toFixed(1)} ms, Breakwater ${r.activationMs.toFixed(1)} ms (its activate() body: ${r.ownMs?.toFixed(1) ?? '?'} ms), empty ${r.emptyMs.toFixed(1)} ms\n`);
    out.breakwaterMs.push(r.activationMs);
    out.emptyMs.push(r.emptyMs);
    out.warmupMs.push(r.warmupMs ?? NaN);
    out.version = r.vscodeVersion ?? out.version;
  }
  return out;
}

/**
 * Extension activation in the real VS Code host (code-server 1.100, driven by headless Chromium) against an
 * empty extension activated in the same host (bar: 1.5×; an absolute figure depends on the machine), the
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
    results.push({
      name: 'activation: activate() in the real VS Code host',
      unit: 'ms',
      figure: spread(host.breakwaterMs),
      baseline: { name: 'an empty extension activated in the same host', figure: spread(host.emptyMs) },
      bar: { on: 'ratio', max: 1.5, unit: '×' },
      note: `code-server (VS Code ${host.version}), one fresh host per sample (${HOST_SESSIONS}), the two activated one after the other in alternating order, after a warm-up extension (its first activation: median ${spread(host.warmupMs).median.toFixed(0)} ms); load + activate()`,
    });
    return results;
  },
};
