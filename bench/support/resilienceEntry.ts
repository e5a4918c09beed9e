/** What the resilience suite loads as a production bundle (see productionBundle.ts). */
export { PolicyRegistry } from '../../src/core/resilience/policyRegistry';
export { policySettingsFrom } from '../../src/core/resilience/providerPolicy';
export { Emitter } from '../../src/core/common/event';
