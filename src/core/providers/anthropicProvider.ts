import Anthropic from '@anthropic-ai/sdk';
import { ProviderError } from './errors';
import { truncatedStream, withMappedErrors } from './streamErrors';
import { checkToolCall, toToolDefinition } from './toolSchema';
import type { ChatMessage, ChatRequest, LlmProvider, StopReason, StreamEvent, Usage } from './types';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';

export interface AnthropicProviderOptions {
  /** Base URL of the Messages API, without `/v1`; defaults to https://api.anthropic.com. */
  readonly baseUrl?: string;
  /** From the SecretSource; a call without one fails with an `auth` error that says how to set it. */
  readonly apiKey?: string;
  /** The fetch every request goes through (`originBoundFetch` from the factory); defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

const STOP_REASONS: Record<string, StopReason> = {
  end_turn: 'end_turn',
  tool_use: 'tool_use',
  max_tokens: 'max_tokens',
  stop_sequence: 'stop_sequence',
  refusal: 'refusal',
};

/**
 * Anthropic Messages API over `@anthropic-ai/sdk`, streamed, with native tools. The system prompt and the
 * tool list are marked for prompt caching (`cache_control: ephemeral` on the system block and the last tool,
 * which caches every tool before it), so repeated turns of an agent read them from the cache.
 */
export class AnthropicProvider implements LlmProvider {
  readonly kind = 'anthropic' as const;
  readonly endpoint: string;
  private readonly client: Anthropic;

  constructor(private readonly options: AnthropicProviderOptions) {
    this.endpoint = (options.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
    // maxRetries 0: the resilience layer retries, once, so attempts never multiply.
    this.client = new Anthropic({ apiKey: options.apiKey ?? null, authToken: null, baseURL: this.endpoint, maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    return withMappedErrors('anthropic', request.signal, this.events(request));
  }

  private async *events(request: ChatRequest): AsyncGenerator<StreamEvent> {
    if (this.options.apiKey === undefined || this.options.apiKey === '') {
      throw new ProviderError('auth', 'anthropic: no API key — set ANTHROPIC_API_KEY (CLI) or run "Breakwater: Set API Key" (VS Code)');
    }
    const stream = await this.client.messages.create(toAnthropicParams(request), { signal: request.signal });
    const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };
    const toolBlocks = new Map<number, { id: string; name: string; json: string }>();
    let stop: StopReason = 'other';
    let complete = false;

    for await (const event of stream) {
      switch (event.type) {
        case 'message_start':
          usage.inputTokens = event.message.usage.input_tokens;
          usage.outputTokens = event.message.usage.output_tokens;
          usage.cacheReadTokens = event.message.usage.cache_read_input_tokens ?? 0;
          usage.cacheCreationTokens = event.message.usage.cache_creation_input_tokens ?? 0;
          break;
        case 'content_block_start':
          if (event.content_block.type === 'tool_use') toolBlocks.set(event.index, { id: event.content_block.id, name: event.content_block.name, json: '' });
          break;
        case 'content_block_delta':
          if (event.delta.type === 'text_delta' && event.delta.text.length > 0) yield { type: 'text', text: event.delta.text };
          else if (event.delta.type === 'input_json_delta') {
            const block = toolBlocks.get(event.index);
            if (block) block.json += event.delta.partial_json;
          }
          break;
        case 'content_block_stop': {
          const block = toolBlocks.get(event.index);
          if (block) {
            toolBlocks.delete(event.index);
            yield { type: 'tool_call', ...checkToolCall(request.tools, block.id, block.name, block.json) };
          }
          break;
        }
        case 'message_delta':
          // message_delta usage is cumulative; input and cache counts may be repeated or absent.
          usage.outputTokens = event.usage.output_tokens;
          if (typeof event.usage.input_tokens === 'number') usage.inputTokens = event.usage.input_tokens;
          if (typeof event.usage.cache_read_input_tokens === 'number') usage.cacheReadTokens = event.usage.cache_read_input_tokens;
          if (typeof event.usage.cache_creation_input_tokens === 'number') usage.cacheCreationTokens = event.usage.cache_creation_input_tokens;
          stop = STOP_REASONS[event.delta.stop_reason ?? ''] ?? 'other';
          break;
        case 'message_stop':
          complete = true;
          break;
      }
    }
    if (!complete) throw truncatedStream('anthropic', 'message_stop');
    yield { type: 'usage', usage: usage satisfies Usage };
    yield { type: 'stop', reason: stop };
  }
}

type AnthropicMessage = Anthropic.MessageParam;
type Block = Anthropic.ContentBlockParam;

/** Builds the Messages request: cached system block, tools with the last one cached, alternating roles. */
export function toAnthropicParams(request: ChatRequest): Anthropic.MessageCreateParamsStreaming {
  const tools = request.tools.map(toToolDefinition);
  return {
    model: request.model,
    max_tokens: request.maxTokens,
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    ...(request.system.length > 0 ? { system: [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }] } : {}),
    ...(tools.length > 0
      ? {
          tools: tools.map((tool, i) => ({
            name: tool.name,
            description: tool.description,
            input_schema: tool.inputSchema as Anthropic.Tool.InputSchema,
            ...(i === tools.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
          })),
        }
      : {}),
    messages: toAnthropicMessages(request.messages),
    stream: true,
  };
}

function toAnthropicMessages(messages: readonly ChatMessage[]): AnthropicMessage[] {
  const out: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]): void => {
    if (blocks.length === 0) return; // The API refuses empty content; an empty turn carries nothing anyway.
    const last = out.at(-1);
    // The API needs alternating roles: tool results followed by a user message become one user turn.
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const message of messages) {
    switch (message.role) {
      case 'user':
        push('user', message.text.length > 0 ? [{ type: 'text', text: message.text }] : []);
        break;
      case 'assistant':
        push('assistant', [
          ...(message.text.length > 0 ? [{ type: 'text' as const, text: message.text }] : []),
          ...message.toolCalls.map((call) => ({ type: 'tool_use' as const, id: call.id, name: call.name, input: call.args ?? {} })),
        ]);
        break;
      case 'tool':
        push(
          'user',
          message.results.map((r) => ({ type: 'tool_result' as const, tool_use_id: r.callId, content: r.content, is_error: r.isError })),
        );
        break;
    }
  }
  return out;
}
