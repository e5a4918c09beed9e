import { configSchema, type BreakwaterConfig } from './schema';

/** Used when there is no agents file: one `assistant` on the default provider, read-only tools. */
export const DEFAULT_AGENT_NAME = 'assistant';

export function defaultConfig(): BreakwaterConfig {
  return configSchema.parse({ agents: { [DEFAULT_AGENT_NAME]: { role: 'You are a helpful assistant working in this workspace.' } } });
}
