/** What the sharedState suite loads as a production bundle (see productionBundle.ts), in its own process and in each worker. */
export { MemoryState } from '../../src/core/state/foldingState';
export { FileState } from '../../src/core/state/fileState';
export { RedisState } from '../../src/core/state/redisState';
export { emptyModel } from '../../src/core/state/stateModel';
export { LIMITER_GUARD_MS } from '../../src/core/state/records';
