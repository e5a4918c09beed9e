import { randomUUID } from 'node:crypto';
import { Ollama, type Message, type Tool } from 'ollama';
import type { HeaderSource } from './errorMapping';
import { truncatedStream, withMappedErrors } from './streamErrors';
import { checkToolCall, toToolDefinition } from './toolSchema';
import type { ChatMessage, ChatRequest, LlmProvider, StopReason, StreamEvent } from './types';

export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';

export interface OllamaProviderOptions {
  /** Ollama host (`http://host:port`); defaults to http://127.0.0.1:11434. */
  readonly host?: string;
  /** Only for hosted Ollama (ollama.com); sent as a bearer token. */
  readonly apiKey?: string;
  /** The fetch every request goes through (`originBoundFetch` from the factory); defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

/** Ollama `/api/chat` over the `ollama` package, streamed (NDJSON), with tools. Ollama reports no cache tokens. */
export class OllamaProvider implements LlmProvider {
  readonly kind = 'ollama' as const;
  readonly endpoint: string;

  constructor(private readonly options: OllamaProviderOptions) {
    this.endpoint = normalizeHost(options.host ?? OLLAMA_DEFAULT_HOST);
  }

  stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    let headers: HeaderSource | undefined;
    // The ollama client takes no per-call signal, so each call gets a client whose fetch follows the caller's
    // signal; the same wrapper keeps the response headers, which the client's errors leave out (retry-after).
    const client = new Ollama({
      host: this.endpoint,
      ...(this.options.apiKey ? { headers: { authorization: `Bearer ${this.options.apiKey}` } } : {}),
      fetch: async (input, init) => {
        const signals = [init?.signal, request.signal].filter((s): s is AbortSignal => s !== undefined && s !== null);
        const response = await (this.options.fetch ?? fetch)(input, { ...init, signal: signals.length > 0 ? AbortSignal.any(signals) : null });
        headers = response.headers;
        return response;
      },
    });
    return withMappedErrors('ollama', request.signal, this.events(client, request), () => headers);
  }

  private async *events(client: Ollama, request: ChatRequest): AsyncGenerator<StreamEvent> {
    const tools = request.tools.map(toToolDefinition);
    const stream = await client.chat({
      model: request.model,
      messages: [...(request.system.length > 0 ? [{ role: 'system', content: request.system }] : []), ...request.messages.flatMap(toOllamaMessages)],
      ...(tools.length > 0
        ? { tools: tools.map((t): Tool => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } })) }
        : {}),
      options: { num_predict: request.maxTokens, ...(request.temperature === undefined ? {} : { temperature: request.temperature }) },
      stream: true,
    });
    let sawToolCall = false;
    for await (const part of stream) {
      if (part.message.content) yield { type: 'text', text: part.message.content };
      for (const call of part.message.tool_calls ?? []) {
        sawToolCall = true;
        // Ollama gives tool calls no id; one is made so results can be matched to calls.
        yield { type: 'tool_call', ...checkToolCall(request.tools, `ollama_${randomUUID()}`, call.function.name, call.function.arguments) };
      }
      if (part.done) {
        yield { type: 'usage', usage: { inputTokens: part.prompt_eval_count ?? 0, outputTokens: part.eval_count ?? 0, cacheReadTokens: 0, cacheCreationTokens: 0 } };
        yield { type: 'stop', reason: stopReason(part.done_reason, sawToolCall) };
        return;
      }
    }
    throw truncatedStream('ollama', 'the final "done" line');
  }
}

function stopReason(doneReason: string | undefined, sawToolCall: boolean): StopReason {
  if (doneReason === 'length') return 'max_tokens';
  if (sawToolCall) return 'tool_use';
  return doneReason === 'stop' || doneReason === undefined ? 'end_turn' : 'other';
}

/** Accepts `OLLAMA_HOST` forms like `0.0.0.0:11434` or `localhost` as well as full URLs. */
export function normalizeHost(host: string): string {
  const withScheme = /^https?:\/\//i.test(host) ? host : `http://${host}`;
  const url = new URL(withScheme);
  if (url.hostname === '0.0.0.0') url.hostname = '127.0.0.1';
  if (url.port === '' && !/^https?:\/\/[^/]+:\d+/i.test(withScheme) && url.protocol === 'http:') url.port = '11434';
  return url.toString().replace(/\/+$/, '');
}

function toOllamaMessages(message: ChatMessage): Message[] {
  switch (message.role) {
    case 'user':
      return [{ role: 'user', content: message.text }];
    case 'assistant':
      return [
        {
          role: 'assistant',
          content: message.text,
          ...(message.toolCalls.length > 0
            ? { tool_calls: message.toolCalls.map((c) => ({ function: { name: c.name, arguments: (c.args ?? {}) as Record<string, unknown> } })) }
            : {}),
        },
      ];
    case 'tool':
      return message.results.map((r) => ({ role: 'tool', content: r.isError ? `Error: ${r.content}` : r.content, tool_name: r.toolName }));
  }
}
