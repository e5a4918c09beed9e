import type { ProviderKind } from '../config/schema';
import { ProviderError } from './errors';
import type { ApiKey, ChatRequest, KeyLookup, LlmProvider, SecretSource, StreamEvent } from './types';

/**
 * A key is sent only to the origin it was given for, enforced where every provider request is built:
 * each call asks the `SecretSource` for the key of the endpoint's own origin, and the SDK's fetch refuses any other
 * origin and any redirect, so neither a config value nor a server can carry a key (or a prompt) elsewhere.
 */

/** The origin a key is given for when nobody says otherwise (`Set API Key`'s default; environment keys without a base URL). */
export const OFFICIAL_ORIGIN: Readonly<Record<ProviderKind, string>> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com',
  ollama: 'https://ollama.com',
};

export const PROVIDER_LABEL: Readonly<Record<ProviderKind, string>> = { anthropic: 'Anthropic', openai: 'OpenAI', ollama: 'Ollama' };

/** `https://api.anthropic.com/v1/x` → `https://api.anthropic.com`; undefined for something that is not a URL. */
export function originOf(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** The call failed before anything was sent: the only key there is was given for another origin. */
export function keyNotForOrigin(kind: ProviderKind, origin: string, keys: readonly Omit<ApiKey, 'value'>[], howToAllow: string): ProviderError {
  const which = keys.map((k) => `your ${PROVIDER_LABEL[kind]} key from ${k.source} (given for ${k.origin})`).join(' and ');
  return new ProviderError('auth', `${kind}: nothing was sent — ${which} would have gone to ${origin}, which it was not given for. ${howToAllow}`);
}

type Fetch = typeof globalThis.fetch;

/**
 * `fetch` for one provider endpoint: a request to another origin is refused before it leaves, and a redirect is
 * never followed (it would carry the key and the prompt to wherever the server points).
 */
export function originBoundFetch(kind: ProviderKind, origin: string, base: Fetch = globalThis.fetch): Fetch {
  return async (input, init) => {
    const target = originOf(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (target !== origin) throw new ProviderError('auth', `${kind}: refused to send a request to ${target ?? (typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)}: this provider is bound to ${origin}`);
    const response = await base(input, { ...init, redirect: 'manual' });
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location') ?? '(no location)';
      await response.body?.cancel().catch(() => undefined);
      throw new ProviderError('bad_request', `${kind}: ${origin} answered with a redirect (HTTP ${response.status}) to ${location}; Breakwater never follows a redirect with your key or prompt — set the endpoint to the address that answers`, { status: response.status });
    }
    return response;
  };
}

/** Builds the SDK adapter for one key (undefined: none) and the bound fetch. */
export type AdapterFactory = (apiKey: string | undefined) => LlmProvider;

/**
 * The provider `createProvider` returns: looks up the key for its endpoint's origin on every call (so `Set API Key`
 * takes effect at once), refuses a key bound elsewhere without sending anything, and keeps one SDK adapter per key.
 */
export class KeyBoundProvider implements LlmProvider {
  private adapter: { readonly apiKey: string | undefined; readonly provider: LlmProvider } | undefined;

  constructor(
    readonly kind: ProviderKind,
    readonly endpoint: string,
    /** The endpoint's origin: the only one a key may be sent to. */
    readonly origin: string,
    private readonly secrets: SecretSource | undefined,
    private readonly build: AdapterFactory,
  ) {}

  stream(request: ChatRequest): AsyncIterable<StreamEvent> {
    return this.events(request);
  }

  private async *events(request: ChatRequest): AsyncGenerator<StreamEvent> {
    const apiKey = await this.keyFor();
    if (this.adapter === undefined || this.adapter.apiKey !== apiKey) this.adapter = { apiKey, provider: this.build(apiKey) };
    yield* this.adapter.provider.stream(request);
  }

  private async keyFor(): Promise<string | undefined> {
    if (this.secrets === undefined) return undefined;
    let lookup: KeyLookup;
    try {
      lookup = await this.secrets.getApiKey(this.kind, this.origin);
    } catch (e) {
      throw new ProviderError('auth', `${this.kind}: could not read the API key: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    switch (lookup.kind) {
      case 'none':
        return undefined;
      case 'elsewhere':
        throw keyNotForOrigin(this.kind, this.origin, lookup.keys, lookup.howToAllow);
      case 'bound':
        // A source that hands out a key for another origin is refused too: the check does not rest on it.
        if (lookup.key.origin !== this.origin) throw keyNotForOrigin(this.kind, this.origin, [lookup.key], 'The key source returned a key for another origin; nothing was sent.');
        return lookup.key.value === '' ? undefined : lookup.key.value;
    }
  }
}

const noKey: KeyLookup = { kind: 'none' };

/**
 * Asks each source in turn: the first key bound to the origin wins (SecretStorage before the environment); when none
 * is, every key found for another origin is reported.
 */
export function firstKeySource(sources: readonly SecretSource[]): SecretSource {
  return {
    async getApiKey(provider, origin) {
      const elsewhere: Extract<KeyLookup, { kind: 'elsewhere' }>[] = [];
      for (const source of sources) {
        const lookup = await source.getApiKey(provider, origin);
        if (lookup.kind === 'bound') return lookup;
        if (lookup.kind === 'elsewhere') elsewhere.push(lookup);
      }
      const [firstElsewhere] = elsewhere;
      if (firstElsewhere === undefined) return noKey;
      return { kind: 'elsewhere', keys: elsewhere.flatMap((e) => e.keys), howToAllow: firstElsewhere.howToAllow };
    },
  };
}

/** An origin the user allowed a provider's key to go to by confirming it as that provider's endpoint. */
export interface KeyGrant {
  readonly provider: ProviderKind;
  readonly origin: string;
  /** What the user confirmed, for the key's source in messages: `providers.anthropic.base_url in /ws/.breakwater/agents.yaml`. */
  readonly because: string;
}

/**
 * Lets a provider's key also go to an endpoint the user confirmed for this folder (the VS Code modal or
 * `--trust-config`: "Send your Anthropic key to http://…?"). Nothing else widens a key's origin.
 */
export function withKeyGrants(source: SecretSource, grants: () => readonly KeyGrant[]): SecretSource {
  return {
    async getApiKey(provider, origin) {
      const direct = await source.getApiKey(provider, origin);
      if (direct.kind !== 'elsewhere') return direct;
      const grant = grants().find((g) => g.provider === provider && g.origin === origin);
      if (grant === undefined) return direct;
      for (const other of direct.keys) {
        const lookup = await source.getApiKey(provider, other.origin);
        if (lookup.kind === 'bound') return { kind: 'bound', key: { value: lookup.key.value, origin, source: `${lookup.key.source}, allowed for ${origin} when you confirmed ${grant.because}` } };
      }
      return direct;
    },
  };
}

/** A source with no key at all. */
export const NO_KEYS: SecretSource = { getApiKey: async () => noKey };

/** Keys given in code (scripts, tests), each bound to the origin named with it (a URL is reduced to its origin). */
export function fixedKeys(keys: readonly { readonly provider: ProviderKind; readonly value: string; readonly origin: string; readonly source?: string }[]): SecretSource {
  const bound = keys.map((k) => ({ ...k, origin: originOf(k.origin) ?? k.origin, source: k.source ?? 'the caller' }));
  return {
    async getApiKey(provider, origin) {
      const mine = bound.filter((k) => k.provider === provider);
      const match = mine.find((k) => k.origin === origin);
      if (match) return { kind: 'bound', key: { value: match.value, origin, source: match.source } };
      if (mine.length === 0) return noKey;
      return { kind: 'elsewhere', keys: mine.map((k) => ({ origin: k.origin, source: k.source })), howToAllow: 'Give the key for that origin.' };
    },
  };
}
