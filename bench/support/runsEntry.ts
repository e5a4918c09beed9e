/** What the runs suite loads as a production bundle (see productionBundle.ts). */
export { createBreakwater } from '../../src/core/breakwater';
export { runEventSchema } from '../../src/core/runs/events';
