import { z } from 'zod';
import type { ToolCallRequest, ToolSpec } from './types';

/** A tool as every provider describes it: name, description and a JSON Schema object for the arguments. */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
}

/**
 * Derives the JSON Schema sent to the model from the tool's zod schema — one source of truth.
 * The `$schema` key is dropped: providers reject or ignore it and it costs tokens.
 */
export function toToolDefinition(spec: ToolSpec): ToolDefinition {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(spec.parameters, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { name: spec.name, description: spec.description, inputSchema: schema };
}

/** A complete tool call, checked against the tool's schema; `invalid` says what the model got wrong. */
export interface CheckedToolCall {
  readonly call: ToolCallRequest;
  readonly invalid?: string;
}

/**
 * Validates a model's tool call. `rawArgs` is the JSON text (Anthropic, OpenAI) or the parsed object (Ollama).
 * Valid args are replaced by the schema's parsed output (defaults applied); invalid ones are kept as sent.
 */
export function checkToolCall(tools: readonly ToolSpec[], id: string, name: string, rawArgs: unknown): CheckedToolCall {
  let args: unknown = rawArgs;
  if (typeof rawArgs === 'string') {
    try {
      args = rawArgs.trim() === '' ? {} : JSON.parse(rawArgs);
    } catch (error) {
      return { call: { id, name, args: rawArgs }, invalid: `the arguments are not valid JSON (${(error as Error).message}); send one JSON object` };
    }
  }
  const spec = tools.find((t) => t.name === name);
  if (spec === undefined) {
    const offered = tools.map((t) => t.name).join(', ') || 'none';
    return { call: { id, name, args }, invalid: `there is no tool named "${name}"; the tools offered are: ${offered}` };
  }
  const parsed = spec.parameters.safeParse(args);
  if (!parsed.success) return { call: { id, name, args }, invalid: `invalid arguments for "${name}": ${z.prettifyError(parsed.error)}` };
  return { call: { id, name, args: parsed.data } };
}
