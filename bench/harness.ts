import * as os from 'node:os';

/**
 * The benchmark harness behind `npm run bench`. Every figure is measured on this machine in this run, next
 * to a baseline measured in the same run, and compared with the product's bar. Benchmarks report; they never
 * fail the tests.
 */
export interface Spread {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  readonly samples: number;
}

export interface Bar {
  /** What the bar applies to: the figure (its median, or its p90), the ratio to the baseline, or the figure minus the baseline. */
  readonly on: 'figure' | 'p90' | 'ratio' | 'added';
  readonly max: number;
  readonly unit: string;
}

export interface BenchResult {
  readonly name: string;
  readonly figure: Spread;
  readonly unit: string;
  readonly baseline?: { readonly name: string; readonly figure: Spread };
  readonly bar?: Bar;
  readonly note?: string;
}

export interface BenchSuite {
  readonly name: string;
  run(): Promise<BenchResult[]>;
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new Error('spread() needs at least one sample');
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] ?? NaN;
  return { median: at(0.5), p10: at(0.1), p90: at(0.9), samples: sorted.length };
}

/** Runs `fn` `repeat` times after `warmup` untimed runs; returns milliseconds per run. */
export async function timeRuns(fn: () => unknown, repeat: number, warmup = 1): Promise<Spread> {
  for (let i = 0; i < warmup; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return spread(samples);
}

/**
 * Takes `samples` samples of each variant, round-robin (A B C A B C …), so drift in machine load (2 cores
 * shared with other work) spreads over every variant instead of biasing one. Each variant returns its own
 * sample value (e.g. ns per call over a batch). One untimed warm-up round first.
 */
export async function sampleInterleaved<K extends string>(variants: Record<K, () => Promise<number>>, samples: number): Promise<Record<K, Spread>> {
  const keys = Object.keys(variants) as K[];
  for (const k of keys) await variants[k]();
  const values = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  for (let i = 0; i < samples; i++) for (const k of keys) values[k].push(await variants[k]());
  return Object.fromEntries(keys.map((k) => [k, spread(values[k])])) as Record<K, Spread>;
}

/** `BENCH_QUICK=1`: fewer samples and shorter runs, for a smoke test of the suites (figures are noisier). */
export function quick(): boolean {
  return process.env.BENCH_QUICK === '1';
}

export function ratio(result: BenchResult): number | undefined {
  return result.baseline ? result.figure.median / result.baseline.figure.median : undefined;
}

/** The value the bar is judged on, in the bar's unit. */
export function judged(result: BenchResult): number | undefined {
  if (!result.bar) return undefined;
  if (result.bar.on === 'figure') return result.figure.median;
  if (result.bar.on === 'p90') return result.figure.p90;
  if (result.bar.on === 'ratio') return ratio(result);
  return result.baseline ? result.figure.median - result.baseline.figure.median : undefined;
}

export function machine(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory_gib: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

function fmt(n: number | undefined, digits = 3): string {
  if (n === undefined || Number.isNaN(n)) return '—';
  if (Math.abs(n) >= 1000) return n.toFixed(0);
  return Number(n.toPrecision(digits)).toString();
}

export function formatTable(results: readonly BenchResult[]): string {
  const header = ['benchmark', 'median', 'p10–p90', 'n', 'baseline (median)', 'ratio', 'bar', 'verdict'];
  const rows = results.map((r) => {
    const j = judged(r);
    const verdict = r.bar === undefined || j === undefined ? 'report' : j <= r.bar.max ? 'within bar' : 'OVER BAR';
    return [
      r.name,
      `${fmt(r.figure.median)} ${r.unit}`,
      `${fmt(r.figure.p10)}–${fmt(r.figure.p90)}`,
      String(r.figure.samples),
      r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.figure.median)} ${r.unit}` : '—',
      fmt(ratio(r)),
      r.bar ? `${r.bar.on === 'figure' ? '' : r.bar.on} ≤ ${r.bar.max} ${r.bar.unit}`.trim() : '—',
      verdict,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
