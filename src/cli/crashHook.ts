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
 * TEST HOOK for the lock race tests. `BREAKWATER_TEST_LOCK_PAUSE=<ms>` pauses (blocking, as a slow
 * disk or a descheduled process would) at every step of taking a run lock, so processes started
 * together interleave there; `BREAKWATER_TEST_CRASH_AT=lock:<step>` SIGKILLs the process at that step
 * (`read_stale`, `claimed`, `removed_stale`, `linking`). Unset in normal use.
 */
export function lockHookFromEnv(env: NodeJS.ProcessEnv): ((step: LockStep) => void) | undefined {
  const pause = Number(env.BREAKWATER_TEST_LOCK_PAUSE ?? '0');
  const crash = env.BREAKWATER_TEST_CRASH_AT?.startsWith('lock:') ? env.BREAKWATER_TEST_CRASH_AT.slice(5) : undefined;
  if (!(pause > 0) && crash === undefined) return undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (step) => {
    if (step === crash) process.kill(process.pid, 'SIGKILL');
    if (pause > 0) Atomics.wait(cell, 0, 0, pause);
  };
}
