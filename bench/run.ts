import * as fs from 'node:fs';
import * as path from 'node:path';
import { BenchResult, BenchSuite, formatTable, judged, machine, ratio } from './harness';

/**
 * `npm run bench [-- suite…]`: runs every suite in bench/suites (or the named ones), prints one table and
 * writes bench/results.json. A suite that cannot run here says why instead of printing a number.
 */
async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const dir = path.join(__dirname, 'suites');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.bench.ts')).sort();
  const results: BenchResult[] = [];
  const skipped: Array<{ suite: string; reason: string }> = [];
  console.log(`Breakwater benchmarks on ${JSON.stringify(machine())}\n`);
  for (const file of files) {
    const mod = (await import(path.join(dir, file))) as { suite: BenchSuite };
    const suite = mod.suite;
    if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
    process.stderr.write(`▶ ${suite.name}…\n`);
    try {
      const got = await suite.run();
      results.push(...got);
    } catch (err) {
      // A suite may have measured some figures before the part it could not do; keep those.
      const partial = (err as { partial?: BenchResult[] } | undefined)?.partial;
      if (Array.isArray(partial)) results.push(...partial);
      const reason = err instanceof Error ? err.message : String(err);
      skipped.push({ suite: suite.name, reason });
      process.stderr.write(`  ${suite.name} did not run: ${reason}\n`);
    }
  }
  console.log(formatTable(results));
  for (const s of skipped) console.log(`\n${s.suite}: not measured — ${s.reason}`);
  const out = {
    at: new Date().toISOString(),
    machine: machine(),
    results: results.map((r) => ({ ...r, ratio: ratio(r), judged: judged(r), within_bar: r.bar ? (judged(r) ?? Infinity) <= r.bar.max : undefined })),
    skipped,
  };
  fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(out, null, 2));
  console.log(`\nwrote bench/results.json`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
