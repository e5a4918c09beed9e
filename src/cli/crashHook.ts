import type { RunEvent } from '../core/runs/events';

/**
 * TEST HOOK for the crash tests (test/crash). `BREAKWATER_TEST_CRASH_AT=<event-type>` makes the CLI
 * SIGKILL itself right after that event is fsync'd; `mid:<event-type>` kills it with half of the
 * event's line on disk. `<event-type>#N` waits for the N-th such event. Unset in normal use.
 */
export function crashHookFromEnv(env: NodeJS.ProcessEnv): ((event: RunEvent, stage: 'mid' | 'after') => void) | undefined {
  const spec = env.BREAKWATER_TEST_CRASH_AT;
  if (!spec) return undefined;
  const mid = spec.startsWith('mid:');
  const [type, nth] = (mid ? spec.slice(4) : spec).split('#');
  let remaining = Number(nth ?? '1');
  return (event, stage) => {
    if (event.type !== type || stage !== (mid ? 'mid' : 'after')) return;
    if (--remaining > 0) return;
    process.kill(process.pid, 'SIGKILL');
  };
}
