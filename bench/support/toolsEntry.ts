/** What the search suite loads as a production bundle (see productionBundle.ts). */
export { createToolEngine } from '../../src/core/tools/toolEngine';
export { defaultConfig, DEFAULT_AGENT_NAME } from '../../src/core/config/defaults';
export { detectSandbox } from '../../src/core/sandbox/sandboxAvailability';
