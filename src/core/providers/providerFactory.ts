import { PROVIDER_KINDS, type BreakwaterConfig, type ProviderKind } from '../config/schema';
import type { ScopeReport } from '../config/scopeReport';
import { BASE_URL_ENV, ENDPOINT_FIELD, envEndpoint } from '../config/userScope';
import { ANTHROPIC_DEFAULT_BASE_URL, AnthropicProvider } from './anthropicProvider';
import { KeyBoundProvider, originBoundFetch, originOf, type KeyGrant } from './keyBinding';
import { normalizeHost, OLLAMA_DEFAULT_HOST, OllamaProvider } from './ollamaProvider';
import { OPENAI_DEFAULT_BASE_URL, OpenAiProvider } from './openaiProvider';
import type { LlmProvider, SecretSource } from './types';

export { BASE_URL_ENV };

export interface CreateProviderOptions {
  /**
   * Endpoint from the effective config (`providers.anthropic.base_url`, `providers.openai.base_url`,
   * `providers.ollama.host`: the user's file or a confirmed workspace value). The environment wins over it.
   */
  readonly baseUrl?: string;
  /** Where the keys come from; never settings. Absent: requests carry no key (a local Ollama needs none). */
  readonly secrets?: SecretSource;
  /**
   * Environment read for the SDKs' own variables, which win over `baseUrl` (README, "Keys and providers"): ANTHROPIC_BASE_URL,
   * OPENAI_BASE_URL, OLLAMA_HOST. Defaults to `process.env`; tests pass their own. Keys are never read from it here.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The environment variable conventionally holding each provider's key (for an environment SecretSource). */
export const API_KEY_ENV: Readonly<Record<ProviderKind, string>> = {
  anthropic: 'ANTHROPIC_API_KEY',
  openai: 'OPENAI_API_KEY',
  ollama: 'OLLAMA_API_KEY',
};

/**
 * The only way to construct a provider. Every request it makes goes through `KeyBoundProvider` (the key of the
 * endpoint's own origin, or none) and a fetch bound to that origin; every SDK client inside has `maxRetries: 0`: the
 * resilience layer is the one that retries. Throws a plain Error naming the setting when the endpoint is not a valid URL.
 */
export function createProvider(kind: ProviderKind, options: CreateProviderOptions = {}): LlmProvider {
  const fromEnv = envEndpoint(options.env ?? process.env, kind);
  const given = fromEnv ?? options.baseUrl;
  const endpoint = given === undefined ? defaultEndpoint(kind) : normalizeEndpoint(kind, given);
  const origin = endpoint === undefined ? undefined : originOf(endpoint);
  if (endpoint === undefined || origin === undefined) {
    const source = fromEnv !== undefined ? BASE_URL_ENV[kind] : kind === 'ollama' ? 'providers.ollama.host' : `providers.${kind}.base_url`;
    throw new Error(`${source} is not a valid URL: "${given}"; use a full URL such as http://127.0.0.1:9000`);
  }
  const fetch = originBoundFetch(kind, origin);
  const build = (apiKey: string | undefined): LlmProvider => {
    switch (kind) {
      case 'anthropic':
        return new AnthropicProvider({ baseUrl: endpoint, apiKey, fetch });
      case 'openai':
        return new OpenAiProvider({ baseUrl: endpoint, apiKey, fetch });
      case 'ollama':
        return new OllamaProvider({ host: endpoint, apiKey, fetch });
    }
  };
  return new KeyBoundProvider(kind, endpoint, origin, options.secrets, build);
}

function defaultEndpoint(kind: ProviderKind): string {
  return kind === 'anthropic' ? ANTHROPIC_DEFAULT_BASE_URL : kind === 'openai' ? OPENAI_DEFAULT_BASE_URL : OLLAMA_DEFAULT_HOST;
}

/** The endpoint as the adapter uses it (no trailing slash; Ollama hosts may omit the scheme), or undefined if it is not a URL. */
function normalizeEndpoint(kind: ProviderKind, url: string): string | undefined {
  try {
    const endpoint = kind === 'ollama' ? normalizeHost(url) : url.trim().replace(/\/+$/, '');
    return URL.canParse(endpoint) ? endpoint : undefined;
  } catch {
    return undefined;
  }
}

/** The origin requests to `url` go to, as `createProvider` resolves it (Ollama hosts may omit the scheme). */
export function endpointOrigin(kind: ProviderKind, url: string): string | undefined {
  const endpoint = normalizeEndpoint(kind, url);
  return endpoint === undefined ? undefined : originOf(endpoint);
}

/**
 * The endpoints the user chose, where a provider's key may go besides its own origin (see `withKeyGrants`): one set
 * in the user's own file (their explicit act, like `ANTHROPIC_BASE_URL`), or a workspace value the user confirmed for
 * this folder (the confirmation names the key: "Send your Anthropic key to …?"). Never an unconfirmed workspace value.
 */
export function keyGrantsOf(report: ScopeReport | undefined, config?: Pick<BreakwaterConfig, 'providers'>): KeyGrant[] {
  const grants: KeyGrant[] = [];
  for (const s of report?.sensitive ?? []) {
    if (s.status !== 'confirmed' || typeof s.value !== 'string') continue;
    const provider = PROVIDER_KINDS.find((k) => ENDPOINT_FIELD[k].join('.') === s.key);
    const origin = provider === undefined ? undefined : endpointOrigin(provider, s.value);
    if (provider !== undefined && origin !== undefined) grants.push({ provider, origin, because: `${s.key} in ${s.file}` });
  }
  for (const provider of PROVIDER_KINDS) {
    const key = ENDPOINT_FIELD[provider].join('.');
    const source = report?.values[key];
    const value = provider === 'ollama' ? config?.providers.ollama?.host : config?.providers[provider]?.base_url;
    if (source?.from !== 'user' || value === undefined) continue;
    const origin = endpointOrigin(provider, value);
    if (origin !== undefined) grants.push({ provider, origin, because: `${key} in your own file ${source.files[0] ?? ''}`.trimEnd() });
  }
  return grants;
}
