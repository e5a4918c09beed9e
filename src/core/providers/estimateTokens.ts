import { toToolDefinition } from './toolSchema';
import type { ChatMessage, ChatRequest } from './types';

/**
 * Estimates input tokens before a call, for budgets (refuse before sending) and the tokens-per-minute
 * limiter. The estimate is an UPPER BOUND for any text in any script, so a budget is never crossed by an
 * underestimate: every tokenizer the providers use (byte-level BPE for Claude and GPT, SentencePiece with
 * byte fallback for the models Ollama serves) turns at least one byte of UTF-8 into each token, so a text
 * never has more tokens than bytes.
 *
 * - text (system prompt, messages, tool-call arguments as JSON, tool results): one token per UTF-8 byte;
 * - each message: +4 tokens of framing (role markers); the request: +3;
 * - each tool: its name, description and JSON Schema (from `z.toJSONSchema`, serialized) at one token per
 *   byte, +8 tokens of framing.
 *
 * It is pessimistic for English prose (about 4 bytes per token), about 3× for Japanese (3 bytes per
 * character, about a token each) and 2–3× for code; the reservation is replaced by the real cost as soon
 * as the call ends, so the pessimism only narrows what may run at the same time near the cap. The old
 * rule of 4 characters per token undercounted Japanese by more than 2×.
 */
export const BYTES_PER_TOKEN = 1;
const PER_MESSAGE = 4;
const PER_REQUEST = 3;
const PER_TOOL = 8;

/** Tokens in a piece of text by the rule above: at most one per UTF-8 byte (0 for empty text). */
export function estimateTextTokens(text: string): number {
  return Math.ceil(Buffer.byteLength(text, 'utf8') / BYTES_PER_TOKEN);
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
