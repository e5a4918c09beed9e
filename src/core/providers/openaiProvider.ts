import OpenAI from 'openai';
import { ProviderError } from './errors';
import { truncatedStream, withMappedErrors } from './streamErrors';
import { checkToolCall, toToolDefinition } from './toolSchema';
import { type ChatMessage, type ChatRequest, type LlmProvider, type StopReason, type StreamEvent, type Usage, ZERO_USAGE } from './types';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAiProviderOptions {
  /** Base URL including `/v1`; any OpenAI-compatible endpoint (vLLM, LM Studio, Groq, OpenRouter…). Defaults to https://api.openai.com/v1. */
  readonly baseUrl?: string;
  /**
   * From the SecretSource. Required for api.openai.com; a compatible local endpoint without one gets a
   * placeholder, since the SDK insists on a key and such servers ignore it.
   */
  readonly apiKey?: string;
  /** The fetch every request goes through (`originBoundFetch` from the factory); defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

const FINISH_REASONS: Record<string, StopReason> = {
  stop: 'end_turn',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  length: 'max_tokens',
  content_filter: 'refusal',
};

/** OpenAI Chat Completions over the `openai` SDK, streamed with `stream_options.include_usage`, with native tools. */
export class OpenAiProvider implements LlmProvider {
  readonly kind = 'openai' as const;
  readonly endpoint: string;
  private readonly client: OpenAI;
  private readonly isOfficial: boolean;

  constructor(private readonly options: OpenAiProviderOptions) {
    this.endpoint = (options.baseUrl ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.isOfficial = new URL(this.endpoint).hostname === 'api.openai.com';
    // maxRetries 0: the resilience layer retries, once, so attempts never multiply.
    this.client = new OpenAI({ apiKey: options.apiKey || 'no-key', baseURL: this.endpoint, maxRetries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) });
  }

  stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    return withMappedErrors('openai', request.signal, this.events(request));
  }

  private async *events(request: ChatRequest): AsyncGenerator<StreamEvent> {
    if (this.isOfficial && !this.options.apiKey) {
      throw new ProviderError('auth', 'openai: no API key — set OPENAI_API_KEY (CLI) or run "Breakwater: Set API Key" (VS Code)');
    }
    const stream = await this.client.chat.completions.create(toOpenAiParams(request, this.isOfficial), { signal: request.signal });
    const calls = new Map<number, { id: string; name: string; args: string }>();
    let usage: Usage = ZERO_USAGE;
    let finish: string | undefined;

    for await (const chunk of stream) {
      if (chunk.usage) {
        const cached = chunk.usage.prompt_tokens_details?.cached_tokens ?? 0;
        // prompt_tokens include the cached ones; Usage.inputTokens counts only those billed at the full price.
        usage = { inputTokens: Math.max(0, chunk.usage.prompt_tokens - cached), outputTokens: chunk.usage.completion_tokens, cacheReadTokens: cached, cacheCreationTokens: 0 };
      }
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      if (choice.delta.content) yield { type: 'text', text: choice.delta.content };
      for (const delta of choice.delta.tool_calls ?? []) {
        const call = calls.get(delta.index) ?? { id: '', name: '', args: '' };
        if (delta.id) call.id = delta.id;
        if (delta.function?.name) call.name += delta.function.name;
        if (delta.function?.arguments) call.args += delta.function.arguments;
        calls.set(delta.index, call);
      }
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    if (finish === undefined) throw truncatedStream('openai', 'a finish_reason');
    for (const [index, call] of [...calls.entries()].sort(([a], [b]) => a - b)) {
      yield { type: 'tool_call', ...checkToolCall(request.tools, call.id || `call_${index}`, call.name, call.args) };
    }
    yield { type: 'usage', usage };
    yield { type: 'stop', reason: FINISH_REASONS[finish] ?? 'other' };
  }
}

/**
 * Builds the Chat Completions request. api.openai.com gets `max_completion_tokens` (its o-series refuse
 * `max_tokens`); other compatible servers get the widely supported `max_tokens`.
 */
export function toOpenAiParams(request: ChatRequest, official: boolean): OpenAI.ChatCompletionCreateParamsStreaming {
  const tools = request.tools.map(toToolDefinition);
  return {
    model: request.model,
    ...(official ? { max_completion_tokens: request.maxTokens } : { max_tokens: request.maxTokens }),
    ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
    messages: [...(request.system.length > 0 ? [{ role: 'system' as const, content: request.system }] : []), ...request.messages.flatMap(toOpenAiMessages)],
    ...(tools.length > 0
      ? { tools: tools.map((t) => ({ type: 'function' as const, function: { name: t.name, description: t.description, parameters: t.inputSchema } })) }
      : {}),
    stream: true,
    stream_options: { include_usage: true },
  };
}

function toOpenAiMessages(message: ChatMessage): OpenAI.ChatCompletionMessageParam[] {
  switch (message.role) {
    case 'user':
      return [{ role: 'user', content: message.text }];
    case 'assistant':
      return [
        {
          role: 'assistant',
          content: message.text.length > 0 ? message.text : null,
          ...(message.toolCalls.length > 0
            ? { tool_calls: message.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) } })) }
            : {}),
        },
      ];
    case 'tool':
      // Chat Completions has no error flag on a tool message, so the failure is said in the content.
      return message.results.map((r) => ({ role: 'tool' as const, tool_call_id: r.callId, content: r.isError ? `Error: ${r.content}` : r.content }));
  }
}
