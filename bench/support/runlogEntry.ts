/** What the runlog suite loads as a production bundle (see productionBundle.ts). */
export { replayRunLog, RunLogWriter } from '../../src/core/runs/runLog';
export { fold } from '../../src/core/runs/fold';
export { runEventSchema } from '../../src/core/runs/events';
