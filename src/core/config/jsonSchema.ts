import { z } from 'zod';
import { configSchema } from './schema';

/** The JSON Schema of agents.yaml for editors (yaml-language-server), generated from the zod schema. */
export function agentsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://breakwater.invalid/schemas/agents.schema.json',
    title: 'Breakwater agents file (.breakwater/agents.yaml)',
  };
}
