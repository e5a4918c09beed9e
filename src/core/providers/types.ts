import type { z } from 'zod';
import type { ProviderKind } from '../config/schema';

/**
 * The one streaming interface every provider implements (Anthropic, OpenAI Chat Completions, Ollama).
 * Providers translate this to and from their SDK; nothing above them sees an SDK type.
 */

export interface ToolCallRequest {
  /** The provider's id for the call (Anthropic `toolu_…`, OpenAI `call_…`; generated for Ollama). */
  readonly id: string;
  readonly name: string;
  /** Parsed arguments; validated against the tool's schema by the provider. */
  readonly args: unknown;
}

export interface ToolResultMessage {
  readonly callId: string;
  readonly toolName: string;
  readonly content: string;
  readonly isError: boolean;
}

export type ChatMessage =
  | { readonly role: 'user'; readonly text: string }
  | { readonly role: 'assistant'; readonly text: string; readonly toolCalls: readonly ToolCallRequest[] }
  | { readonly role: 'tool'; readonly results: readonly ToolResultMessage[] };

/** A tool as the model is offered it: the JSON Schema sent is derived from `parameters`. */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: z.ZodType;
}

export interface ChatRequest {
  /** Full model id (aliases are resolved before a request is built). */
  readonly model: string;
  readonly system: string;
  readonly messages: readonly ChatMessage[];
  readonly tools: readonly ToolSpec[];
  readonly maxTokens: number;
  readonly temperature?: number;
  readonly signal?: AbortSignal;
}

export interface Usage {
  /**
   * Input tokens billed at the full input price: excluding cache reads and writes (Anthropic `input_tokens`;
   * OpenAI `prompt_tokens - cached_tokens`; Ollama `prompt_eval_count`).
   */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Tokens read from the provider's prompt cache (Anthropic `cache_read_input_tokens`, OpenAI `cached_tokens`). */
  readonly cacheReadTokens: number;
  /** Tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
  readonly cacheCreationTokens: number;
}

export const ZERO_USAGE: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheCreationTokens: 0 };

export type StopReason = 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'other';

export type StreamEvent =
  | { readonly type: 'text'; readonly text: string }
  /** A complete tool call. `invalid` says why its arguments failed validation (the call is then answered with that error). */
  | { readonly type: 'tool_call'; readonly call: ToolCallRequest; readonly invalid?: string }
  | { readonly type: 'usage'; readonly usage: Usage }
  | { readonly type: 'stop'; readonly reason: StopReason };

export interface LlmProvider {
  readonly kind: ProviderKind;
  /**
   * The endpoint this provider talks to (base URL). Resilience policies are keyed by `kind + endpoint`,
   * so every agent and every run that uses the same endpoint shares one limiter and one breaker.
   */
  readonly endpoint: string;
  /** Streams one model turn. Throws a `ProviderError` (see errors.ts) for every failure. */
  stream(request: ChatRequest): AsyncIterable<StreamEvent>;
}

/** A provider key and the origin it was given for. */
export interface ApiKey {
  readonly value: string;
  /** `scheme://host[:port]` (a URL's `origin`): the only origin the key is ever sent to. */
  readonly origin: string;
  /** Where the key came from, in words for messages and the chat: `SecretStorage`, `the environment (ANTHROPIC_API_KEY)`. */
  readonly source: string;
}

/** What a `SecretSource` holds for one provider at one origin. */
export type KeyLookup =
  | { readonly kind: 'bound'; readonly key: ApiKey }
  /**
   * Keys exist, but each was given for another origin: they are named (never their value) so the failure can say
   * which key would have gone where; `howToAllow` says how to give a key for this origin.
   */
  | { readonly kind: 'elsewhere'; readonly keys: readonly Omit<ApiKey, 'value'>[]; readonly howToAllow: string }
  | { readonly kind: 'none' };

/**
 * Where provider keys come from: SecretStorage in the extension, the environment in the CLI, never settings. A key
 * is bound to the origin it was given for (a key is sent only to the origin it was given for); the
 * provider factory asks with the origin of the request it is about to build and sends nothing on `elsewhere`.
 */
export interface SecretSource {
  getApiKey(provider: ProviderKind, origin: string): Promise<KeyLookup>;
}
