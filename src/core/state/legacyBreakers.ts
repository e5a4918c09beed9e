import * as fs from 'node:fs';
import { z } from 'zod';
import { breakerSnapshotSchema, type BreakerSnapshot } from './circuitBreaker';
import type { StoreLayout } from '../store/storeLayout';
import { providerKey, toolKey } from './sharedState';

/** One breaker found in a file of an older version, ready for an `import` record. */
export interface LegacyBreaker {
  readonly key: string;
  readonly snap: BreakerSnapshot;
  readonly calls: number;
  readonly failures: number;
  readonly successes: number;
  readonly totalMs: number;
}

const providerFileSchema = z.object({ version: z.literal(1), breakers: z.record(z.string(), breakerSnapshotSchema) });
const toolFileSchema = z.record(
  z.string(),
  z.object({
    state: z.enum(['closed', 'open', 'half_open']),
    consecutiveFailures: z.number().int().nonnegative(),
    failures: z.number().int().nonnegative(),
    successes: z.number().int().nonnegative(),
    calls: z.number().int().nonnegative(),
    totalMs: z.number().nonnegative(),
    retryAt: z.number().optional(),
  }),
);

/**
 * Reads `breakers.json` and `tool-breakers.json`, where versions before the shared state kept breakers, so
 * an open breaker stays open across the upgrade. Each file is read once: a valid one is deleted after its
 * breakers are handed back (they then live in the shared state); a damaged one is moved aside to
 * `<file>.damaged` with one warning naming it, and its breakers start closed.
 */
export function takeLegacyBreakers(layout: StoreLayout, now: number, warn: (message: string) => void): LegacyBreaker[] {
  const out: LegacyBreaker[] = [];
  const provider = readOnce(layout.breakers, providerFileSchema, warn, 'every provider breaker starts closed');
  for (const [name, snap] of Object.entries(provider?.breakers ?? {})) {
    const s: BreakerSnapshot = snap.state === 'half_open' ? { state: 'open', openedAt: snap.openedAt, retryAt: snap.probeStartedAt, reason: snap.reason } : snap;
    out.push({ key: providerKey(name), snap: s, calls: 0, failures: 0, successes: 0, totalMs: 0 });
  }
  const tools = readOnce(layout.toolBreakers, toolFileSchema, warn, 'every tool breaker starts closed');
  for (const [tool, r] of Object.entries(tools ?? {})) {
    const snap: BreakerSnapshot =
      r.state === 'closed'
        ? { state: 'closed', consecutiveFailures: r.consecutiveFailures }
        : { state: 'open', openedAt: now, retryAt: r.state === 'open' ? (r.retryAt ?? now) : now, reason: `${r.consecutiveFailures} consecutive failures` };
    out.push({ key: toolKey(tool), snap, calls: r.calls, failures: r.failures, successes: r.successes, totalMs: r.totalMs });
  }
  return out;
}

function readOnce<S extends z.ZodType>(file: string, schema: S, warn: (message: string) => void, consequence: string): z.infer<S> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    warn(`Breaker state in ${file} could not be read (${(err as Error).message}); ${consequence}.`);
    moveAside(file);
    return undefined;
  }
  let why: string;
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    if (parsed.success) {
      try {
        fs.rmSync(file, { force: true });
      } catch {
        // Read again next time; importing it again only re-applies the same old state.
      }
      return parsed.data;
    }
    why = z.prettifyError(parsed.error).split('\n')[0] ?? 'not the expected shape';
  } catch (err) {
    why = `not JSON: ${(err as Error).message}`;
  }
  warn(`Breaker state in ${file} is damaged (${why}); ${consequence}. It was moved to ${file}.damaged.`);
  moveAside(file);
  return undefined;
}

function moveAside(file: string): void {
  try {
    fs.renameSync(file, `${file}.damaged`);
  } catch {
    // A file we cannot move is read (and reported) again next time; nothing else depends on it.
  }
}
