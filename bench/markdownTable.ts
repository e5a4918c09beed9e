import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * `npx tsx bench/markdownTable.ts`: prints bench/results.json (the last `npm run bench`) as the markdown
 * table the README's "Benchmarks" section shows, with the machine it ran on.
 */
interface Row {
  name: string;
  unit: string;
  figure: { median: number; p10: number; p90: number; samples: number };
  baseline?: { name: string; figure: { median: number } };
  bar?: { on: 'figure' | 'ratio' | 'added'; max: number; unit: string };
  ratio?: number;
  within_bar?: boolean;
}

const fmt = (n: number | undefined): string => (n === undefined ? '—' : Math.abs(n) >= 1000 ? n.toFixed(0) : String(Number(n.toPrecision(3))));
const file = path.join(__dirname, 'results.json');
const data = JSON.parse(fs.readFileSync(file, 'utf8')) as { at: string; machine: Record<string, string | number>; results: Row[]; skipped: { suite: string; reason: string }[] };
const m = data.machine;
console.log(`Measured ${data.at.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ${m.memory_gib} GiB, ${m.os}, Node ${m.node}.\n`);
console.log('| benchmark | median (p10–p90) | baseline, same run | ratio | bar | verdict |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const r of data.results) {
  const bar = r.bar ? `${r.bar.on === 'figure' ? '' : `${r.bar.on} `}≤ ${r.bar.max} ${r.bar.unit}` : '—';
  const verdict = r.within_bar === undefined ? 'report' : r.within_bar ? 'within bar' : '**over bar**';
  const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.figure.median)} ${r.unit}` : '—';
  console.log(`| ${r.name.replace(/\|/g, '\\|')} | ${fmt(r.figure.median)} ${r.unit} (${fmt(r.figure.p10)}–${fmt(r.figure.p90)}, n=${r.figure.samples}) | ${base} | ${fmt(r.ratio)} | ${bar} | ${verdict} |`);
}
for (const s of data.skipped) console.log(`\n${s.suite}: not measured — ${s.reason}`);
