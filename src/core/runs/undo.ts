import * as fs from 'node:fs';
import { writeFileAtomicSync } from '../store/atomicFile';
import type { StoreLayout } from '../store/storeLayout';
import { loadBackups, sha256 } from './backups';
import { replayRunLog } from './runLog';

export type UndoFileResult =
  | { readonly path: string; readonly outcome: 'restored' | 'deleted' }
  | { readonly path: string; readonly outcome: 'refused'; readonly reason: string };

export interface UndoResult {
  readonly runId: string;
  readonly files: readonly UndoFileResult[];
  /** True when every file the run changed was reverted. */
  readonly complete: boolean;
}

/**
 * Reverts a run's write/edit calls, newest first. Only calls the log shows as completed are undone;
 * a file whose content is no longer what the run left is refused (someone changed it since), and so
 * are the run's earlier changes to that same file.
 */
export function undoRun(layout: StoreLayout, runId: string): UndoResult {
  const { events } = replayRunLog(layout.runLog(runId));
  const completed = new Set(events.flatMap((e) => (e.type === 'tool_call_completed' ? [e.payload.call_id] : [])));
  const backups = loadBackups(layout.backups(runId)).filter((b) => completed.has(b.callId)).reverse();
  const files: UndoFileResult[] = [];
  const refused = new Set<string>();
  for (const b of backups) {
    if (refused.has(b.path)) continue;
    const current = readOrNull(b.path);
    if (current === null || sha256(current) !== b.afterHash) {
      refused.add(b.path);
      files.push({ path: b.path, outcome: 'refused', reason: `${b.path} changed after the run wrote it; left as it is (compare it with the run's backup in ${layout.backups(runId)})` });
      continue;
    }
    if (b.previousContent === null) {
      fs.rmSync(b.path, { force: true });
      files.push({ path: b.path, outcome: 'deleted' });
    } else {
      // As the write tool does: the file keeps its mode, and a link put in its place is replaced, not followed.
      writeFileAtomicSync(b.path, b.previousContent, { mode: 'preserve' });
      files.push({ path: b.path, outcome: 'restored' });
    }
  }
  // Report each file once: its final outcome.
  const byPath = new Map<string, UndoFileResult>();
  for (const f of files) byPath.set(f.path, f);
  const result = [...byPath.values()];
  return { runId, files: result, complete: result.every((f) => f.outcome !== 'refused') };
}

function readOrNull(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
