import * as fs from 'node:fs';

let seq = 0;

/**
 * A `sleep` no other process on the machine runs: its argument is the marker, so a scan of
 * `/proc/*\/cmdline` finds exactly the processes a test started, whatever PID namespace they were in.
 */
export function markedSleep(seconds = 300): { readonly command: string; readonly marker: string } {
  const arg = `${seconds}.${process.pid}${String(++seq).padStart(3, '0')}${Math.floor(Math.random() * 1e6)}`;
  return { command: `sleep ${arg}`, marker: `sleep\0${arg}` };
}

/** Host PIDs of live processes whose command line contains `marker` (a zombie has an empty one). */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'latin1').includes(marker)) found.push(Number(name));
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

/** Waits (polling, no time assertion) until no process carries `marker`; true when none is left. */
export async function noneLeft(marker: string, attempts = 100): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (processesWith(marker).length === 0) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return processesWith(marker).length === 0;
}

/** Waits until at least one process carries `marker` (so a "nothing survived" check can fail). */
export async function someRunning(marker: string, attempts = 200): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (processesWith(marker).length > 0) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}
