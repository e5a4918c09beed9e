/** What the turn suite loads as a production bundle (see productionBundle.ts). */
export { ResilientModelGateway } from '../../src/core/resilience/resilientModelGateway';
export { createBreakwater } from '../../src/core/breakwater';
export { configSchema } from '../../src/core/config/schema';
export { StoreLayout } from '../../src/core/store/storeLayout';
export { Emitter } from '../../src/core/common/event';
export { fixedKeys } from '../../src/core/providers/keyBinding';
