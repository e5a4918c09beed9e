import { toToolDefinition } from './toolSchema';
import type { ChatMessage, ChatRequest } from './types';

/**
 * Estimates input tokens before a call, for budgets (refuse before sending) and the tokens-per-minute
 * limiter. No tokenizer ships for every provider, so this is the usual rule of thumb, kept deliberately on
 * the high side so a budget is never crossed by an underestimate:
 *
 * - text (system prompt, messages, tool-call arguments as JSON, tool results): one token per 4 characters,
 *   rounded up;
 * - each message: +4 tokens of framing (role markers); the request: +3;
 * - each tool: its name, description and JSON Schema (from `z.toJSONSchema`, serialized) at one token per
 *   4 characters, +8 tokens of framing.
 *
 * Real English prose runs nearer 4.5 characters per token and code nearer 3.5, so expect ±25 %.
 */
export const CHARS_PER_TOKEN = 4;
const PER_MESSAGE = 4;
const PER_REQUEST = 3;
const PER_TOOL = 8;

/** Tokens in a piece of text by the rule above (0 for empty text). */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Estimated input tokens of a request (without the output; add `maxTokens` for a worst-case total). */
export function estimateInputTokens(request: Pick<ChatRequest, 'system' | 'messages' | 'tools'>): number {
  let tokens = PER_REQUEST;
  if (request.system.length > 0) tokens += PER_MESSAGE + estimateTextTokens(request.system);
  for (const message of request.messages) tokens += PER_MESSAGE + messageTokens(message);
  for (const spec of request.tools) {
    const tool = toToolDefinition(spec);
    tokens += PER_TOOL + estimateTextTokens(tool.name + tool.description + JSON.stringify(tool.inputSchema));
  }
  return tokens;
}

function messageTokens(message: ChatMessage): number {
  switch (message.role) {
    case 'user':
      return estimateTextTokens(message.text);
    case 'assistant':
      return estimateTextTokens(message.text) + message.toolCalls.reduce((sum, c) => sum + estimateTextTokens(c.name + JSON.stringify(c.args ?? {})), 0);
    case 'tool':
      return message.results.reduce((sum, r) => sum + estimateTextTokens(r.content), 0);
  }
}
