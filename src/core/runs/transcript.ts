import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../store/atomicFile';
import type { StoreLayout } from '../store/storeLayout';
import type { RunEvent } from './events';
import type { RunStore } from './runStore';

/**
 * The readable `logs/<agent>.md`, DERIVED from the run logs (never a second writer that could
 * disagree with them): regenerated after a run changes, written atomically.
 */
export function renderRunMarkdown(events: readonly RunEvent[]): string {
  const out: string[] = [];
  const stamp = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 19);
  for (const e of events) {
    const head = (kind: string) => `\n## ${stamp(e.time)} | ${kind}\n`;
    switch (e.type) {
      case 'run_started':
        out.push(`${head('PROMPT')}\nRun \`${e.payload.run_id}\`${e.payload.task ? ` (task ${e.payload.task})` : ''}\n\n${e.payload.prompt}\n`);
        break;
      case 'assistant_message':
        if (e.payload.text) out.push(`${head('RESPONSE')}\n${e.payload.text}\n`);
        break;
      case 'tool_call_requested':
        out.push(`${head(`TOOL ${e.payload.tool}`)}\n\`\`\`json\n${JSON.stringify(e.payload.args)}\n\`\`\`\n`);
        break;
      case 'approval_requested':
        out.push(`${head('APPROVAL NEEDED')}\n${e.payload.summary} — ${e.payload.reason}${e.payload.may_have_run ? ' (may already have run)' : ''}\n`);
        break;
      case 'approval_granted':
      case 'approval_denied':
        out.push(`${head(e.type === 'approval_granted' ? 'APPROVED' : 'DENIED')}\n\`${e.payload.call_id}\` by ${e.payload.by}\n`);
        break;
      case 'tool_call_completed':
        out.push(`${head('TOOL RESULT')}\n\`\`\`\n${e.payload.output.slice(0, 2000)}\n\`\`\`\n`);
        break;
      case 'tool_call_failed':
        out.push(`${head(`TOOL ${e.payload.status.toUpperCase()}`)}\n${e.payload.error}\n`);
        break;
      case 'run_completed':
        out.push(`${head('COMPLETED')}`);
        break;
      case 'run_failed':
        out.push(`${head('ERROR')}\n${e.payload.error}\n`);
        break;
      case 'run_paused':
        out.push(`${head('WAITING')}\n${e.payload.reason}\n`);
        break;
      default:
        break;
    }
  }
  return out.join('');
}

/**
 * Rewrites `logs/<agent>.md` from every run of that agent, oldest first, without replaying every log:
 * each run's part is kept in `logs/.runs/<runId>.md`, stamped with the number of events it renders,
 * and rendered again only when its log has more (from the store's read cache for the runs this
 * process just wrote).
 */
export function writeTranscript(store: RunStore, layout: StoreLayout, agent: string): void {
  const runs = store.list().filter((r) => r.agent === agent && r.status !== 'damaged').reverse();
  const parts = [`# ${agent}\n\n_Derived from the run logs in ${layout.root}; do not edit._\n`];
  for (const r of runs) {
    const part = runPart(store, layout, r.runId, r.events);
    if (part !== undefined) parts.push(part, '\n---\n');
  }
  writeFileAtomicSync(layout.transcript(agent), parts.join(''));
}

function runPart(store: RunStore, layout: StoreLayout, runId: string, events: number): string | undefined {
  const file = path.join(path.dirname(layout.transcript('x')), '.runs', `${runId}.md`);
  const stamp = `<!-- events: ${events} -->\n`;
  try {
    const cached = fs.readFileSync(file, 'utf8');
    if (cached.startsWith(stamp)) return cached.slice(stamp.length);
  } catch {
    // Not rendered yet (or unreadable): render it below.
  }
  let rendered: string;
  try {
    rendered = renderRunMarkdown(store.replay(runId).events);
  } catch {
    return undefined;
  }
  writeFileAtomicSync(file, stamp + rendered);
  return rendered;
}
