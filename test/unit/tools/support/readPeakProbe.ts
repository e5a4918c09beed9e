import * as fs from 'node:fs';
import * as path from 'node:path';
import { configSchema } from '../../../../src/core/config/schema';
import { createToolEngine } from '../../../../src/core/tools/toolEngine';
import { must } from '../../../fixtures/must';

/**
 * Run as its own process: `node -r tsx/cjs readPeakProbe.ts FOLDER FILE`. Reads FILE (relative to
 * FOLDER) through the real engine's `read` tool and prints JSON: how far the process's peak resident
 * memory rose above what it used just before the read (KiB), and the tool's outcome.
 */
const kib = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? NaN);

async function main(): Promise<void> {
  const [folder, file] = process.argv.slice(2);
  if (folder === undefined || file === undefined) throw new Error('usage: readPeakProbe FOLDER FILE');
  const engine = createToolEngine({ host: { workspaceFolders: [folder], trusted: true, ripgrepPath: 'rg' } });
  const config = configSchema.parse({ agents: { probe: { tools: ['read'] } } });
  const scope = { agentName: 'probe', agent: must(config.agents.probe, 'agent probe'), config };
  const read = async (p: string) => engine.execute(await engine.prepare({ id: p, name: 'read', args: { path: p } }, scope), { by: 'policy' }, new AbortController().signal);
  // Warm up every code path on a small file first, so the figure is the read itself.
  fs.writeFileSync(path.join(folder, 'warm.txt'), 'warm\n'.repeat(50_000));
  await read('warm.txt');
  (globalThis as { gc?: () => void }).gc?.();
  // Reset the peak to what the process uses now (Linux: clear_refs 5); where that is not allowed,
  // sample the resident size while the read runs instead (it yields between chunks).
  let reset = true;
  try {
    fs.writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    reset = false;
  }
  const before = kib('VmRSS');
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, kib('VmRSS'))), 1);
  const outcome = await read(file);
  clearInterval(timer);
  const peak = reset ? kib('VmHWM') : Math.max(sampled, kib('VmRSS'));
  process.stdout.write(JSON.stringify({ risenKiB: peak - before, outcome: outcome.status === 'ok' ? { status: 'ok', truncated: outcome.truncated, head: outcome.output.slice(0, 200), tail: outcome.output.slice(-200) } : outcome }));
}

main().catch((err: unknown) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err));
  process.exitCode = 1;
});
