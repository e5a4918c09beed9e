import * as fs from 'node:fs';
import * as path from 'node:path';
import { replayRunLog } from '../runs/runLog';
import type { StoreLayout } from '../store/storeLayout';
import { costEntrySchema, type CostEntry } from './costLedger';

export interface SpendBaseline {
  /** USD spent per budget scope (`workspace`, `agent:NAME`). */
  readonly spent: Record<string, number>;
  /** Set when spending cannot be known: calls under a budget are refused with this message. */
  readonly unknown?: string;
}

const RUN_LOG = /^r-[0-9]{8}-[0-9]{6}-[0-9a-f]{6}(\.[A-Za-z0-9_-]+)*\.jsonl$/;

/**
 * What has been spent, for a shared state that starts from nothing (a new store, or a damaged state): the
 * sum of the cost ledger. When ledger lines are damaged, the run logs (which record each call's cost) are
 * used instead, if they account for at least as many calls as the ledger's damaged and run-attributed lines
 * together; otherwise spending is unknown and budgeted calls are refused until the ledger is repaired.
 */
export function spendBaseline(layout: StoreLayout): SpendBaseline {
  const { entries, damaged, unreadable } = readLedger(layout.costLedger);
  const spent: Record<string, number> = {};
  const add = (key: string, usd: number) => (spent[key] = (spent[key] ?? 0) + usd);
  for (const e of entries) {
    add('workspace', e.usd);
    for (const name of new Set([e.agent, ...(e.chargedTo ?? [])])) add(`agent:${name}`, e.usd);
  }
  if (unreadable !== undefined) return { spent, unknown: `${layout.costLedger} could not be read (${unreadable}). Make it a readable file (or delete it) to spend again.` };
  if (damaged.length === 0) return { spent };
  const lines = `line${damaged.length > 1 ? 's' : ''} ${damaged.slice(0, 5).join(', ')}${damaged.length > 5 ? ', …' : ''}`;
  const unknown = `${layout.costLedger} ${lines} ${damaged.length > 1 ? 'are' : 'is'} damaged and the run logs do not account for the calls recorded there. Repair or delete the damaged ${damaged.length > 1 ? 'lines' : 'line'} to spend again.`;
  const runs = runLogSpending(layout.root);
  if (runs === undefined) return { spent, unknown };
  const attributed = entries.filter((e) => e.runId !== undefined).length;
  if (runs.calls < attributed + damaged.length) return { spent, unknown };
  const unattributed = entries.filter((e) => e.runId === undefined).reduce((sum, e) => sum + e.usd, 0);
  spent.workspace = Math.max(spent.workspace ?? 0, runs.total + unattributed);
  for (const [agent, usd] of Object.entries(runs.byAgent)) spent[`agent:${agent}`] = Math.max(spent[`agent:${agent}`] ?? 0, usd);
  return { spent };
}

function readLedger(file: string): { entries: CostEntry[]; damaged: number[]; unreadable?: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: [], damaged: [] };
    return { entries: [], damaged: [], unreadable: (err as Error).message };
  }
  const entries: CostEntry[] = [];
  const damaged: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const parsed = costEntrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data);
      else damaged.push(i + 1);
    } catch {
      damaged.push(i + 1);
    }
  });
  return { entries, damaged };
}

/** Spending recorded in the run logs (`llm_call_completed.cost_usd`), or undefined when one cannot be read. */
function runLogSpending(root: string): { total: number; calls: number; byAgent: Record<string, number> } | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(root).filter((n) => RUN_LOG.test(n));
  } catch {
    return undefined;
  }
  let total = 0;
  let calls = 0;
  const byAgent: Record<string, number> = {};
  for (const name of names) {
    let agent = '';
    try {
      for (const e of replayRunLog(path.join(root, name)).events) {
        if (e.type === 'run_started') agent = e.payload.agent;
        if (e.type !== 'llm_call_completed') continue;
        total += e.payload.cost_usd;
        calls++;
        byAgent[agent] = (byAgent[agent] ?? 0) + e.payload.cost_usd;
      }
    } catch {
      return undefined;
    }
  }
  return { total, calls, byAgent };
}
