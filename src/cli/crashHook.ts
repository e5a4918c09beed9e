import type { RunEvent } from '../core/runs/events';
import type { LockStep } from '../core/runs/runLock';

/**
 * TEST HOOK for the crash tests (test/crash). `BREAKWATER_TEST_CRASH_AT=<event-type>` makes the CLI
 * SIGKILL itself right after that event is fsync'd; `mid:<event-type>` kills it with half of the
 * event's line on disk. `<event-type>#N` waits for the N-th such event. (`lock:<step>` is for
 * `lockHookFromEnv`.) Unset in normal use.
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv): ((event: RunEvent, stage: 'mid' | 'after') => void) | undefined {
  const spec = env.BREAKWATER_TEST_CRASH_AT;
  if (!spec || spec.startsWith('lock:')) return undefined;
  const mid = spec.startsWith('mid:');
  const [type, nth] = (mid ? spec.slice(4) : spec).split('#');
  let remaining = Number(nth ?? '1');
  return (event, stage) => {
    if (event.type !== type || stage !== (mid ? 'mid' : 'after')) return;
    if (--remaining > 0) return;
    process.kill(process.pid, 'SIGKILL');
  };
}

/**
 * TEST HOOK for the lock race tests. `BREAKWATER_TEST_LOCK_START_AT=<epoch ms>` holds the first step
 * of taking a run lock until that moment, so processes started together reach the lock together;
 * `BREAKWATER_TEST_LOCK_PAUSE=<ms>` then pauses for a random time up to that (blocking, as a slow disk
 * or a descheduled process would) at every step, so they interleave there in every order; `BREAKWATER_TEST_CRASH_AT=lock:<step>` SIGKILLs the
 * process at that step (`linking`, `read_stale`, `claimed`, `removed_stale`). Unset in normal use.
 */
export function lockHookFromEnv(env: NodeJS.ProcessEnv): ((step: LockStep) => void) | undefined {
  const pause = Number(env.BREAKWATER_TEST_LOCK_PAUSE ?? '0');
  let startAt = Number(env.BREAKWATER_TEST_LOCK_START_AT ?? '0');
  const crash = env.BREAKWATER_TEST_CRASH_AT?.startsWith('lock:') ? env.BREAKWATER_TEST_CRASH_AT.slice(5) : undefined;
  if (!(pause > 0) && !(startAt > 0) && crash === undefined) return undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const sleep = (ms: number) => Atomics.wait(cell, 0, 0, ms);
  return (step) => {
    if (startAt > 0) {
      sleep(Math.max(0, startAt - Date.now()));
      startAt = 0;
    }
    if (step === crash) process.kill(process.pid, 'SIGKILL');
    if (pause > 0) sleep(Math.random() * pause);
  };
}
