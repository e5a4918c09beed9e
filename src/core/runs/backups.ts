import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomicFile';

/**
 * What each write/edit of a run replaced, so the run can be undone. One JSON file per call in
 * `StoreLayout.backups(runId)`, written atomically (temp + fsync + rename) BEFORE the call starts.
 */
export const backupSchema = z.strictObject({
  callId: z.string(),
  path: z.string(),
  /** null: the file did not exist before the call. */
  previousContent: z.string().nullable(),
  /** sha256 the call will leave the file with; undo refuses when the file no longer has it. */
  afterHash: z.string(),
  seq: z.number().int().nonnegative(),
});
export type Backup = z.infer<typeof backupSchema>;

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Written (and fsync'd, off the calling thread) before the call can run; temp + rename, so never half a file. */
export async function saveBackup(dir: string, backup: Backup): Promise<void> {
  const file = path.join(dir, `${String(backup.seq).padStart(8, '0')}-${backup.callId.replace(/[^A-Za-z0-9_-]/g, '_')}.json`);
  await writeFileAtomic(file, JSON.stringify(backup));
}

export function loadBackups(dir: string): Backup[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return names.map((n) => {
    const parsed = backupSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, n), 'utf8')));
    if (!parsed.success) throw new Error(`${path.join(dir, n)}: not a valid backup (${parsed.error.message})`);
    return parsed.data;
  });
}
