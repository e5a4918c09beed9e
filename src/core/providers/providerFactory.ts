import type { ProviderKind } from '../config/schema';
import { AnthropicProvider } from './anthropicProvider';
import { normalizeHost, OllamaProvider } from './ollamaProvider';
import { OpenAiProvider } from './openaiProvider';
import type { LlmProvider } from './types';

export interface CreateProviderOptions {
  /**
   * Endpoint from config (`providers.anthropic.base_url`, `providers.openai.base_url`, `providers.ollama.host`).
   * Wins over the environment.
   */
  readonly baseUrl?: string;
  /** From a SecretSource; never from settings. Not needed for a local Ollama. */
  readonly apiKey?: string;
  /**
   * Environment read for the SDKs' own variables when `baseUrl` is absent: ANTHROPIC_BASE_URL, OPENAI_BASE_URL,
   * OLLAMA_HOST. Defaults to `process.env`; tests pass their own. Keys are never read from it here.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The environment variable each provider's SDK reads for its endpoint. */
export const BASE_URL_ENV: Readonly<Record<ProviderKind, string>> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  ollama: 'OLLAMA_HOST',
};

/** The environment variable conventionally holding each provider's key (for an environment SecretSource). */
export const API_KEY_ENV: Readonly<Record<ProviderKind, string>> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  ollama: 'OLLAMA_API_KEY',
};

/**
 * The only way to construct a provider. Every SDK client inside has `maxRetries: 0`: the resilience layer
 * is the one that retries. Throws a plain Error naming the setting when the base URL is not a valid URL.
 */
export function createProvider(kind: ProviderKind, options: CreateProviderOptions = {}): LlmProvider {
  const env = options.env ?? process.env;
  const fromEnv = env[BASE_URL_ENV[kind]];
  const baseUrl = options.baseUrl ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : undefined);
  if (baseUrl !== undefined && !URL.canParse(kind === 'ollama' ? safeHost(baseUrl) : baseUrl)) {
    const source = options.baseUrl !== undefined ? `providers.${kind}.base_url` : BASE_URL_ENV[kind];
    throw new Error(`${source} is not a valid URL: "${baseUrl}"; use a full URL such as http://127.0.0.1:9000`);
  }
  switch (kind) {
    case 'anthropic':
      return new AnthropicProvider({ baseUrl, apiKey: options.apiKey });
    case 'openai':
      return new OpenAiProvider({ baseUrl, apiKey: options.apiKey });
    case 'ollama':
      return new OllamaProvider({ host: baseUrl, apiKey: options.apiKey });
  }
}

/** Ollama hosts may omit the scheme (`localhost:11434`); an unparseable one becomes '' so it is reported. */
function safeHost(host: string): string {
  try {
    return normalizeHost(host);
  } catch {
    return '';
  }
}
