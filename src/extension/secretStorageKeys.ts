import type { ProviderKind } from '../core/index';
import { firstKeySource, OFFICIAL_ORIGIN } from '../core/index';
import type { KeyLookup, SecretSource } from '../core/index';
import type { SecretStorageSource } from './secretStorageSource';

/** The `SecretSource` of the extension over SecretStorage's per-origin entries (see `SecretStorageSource`). */
export function secretStorageKeys(storage: SecretStorageSource): SecretSource {
  const nameFor = (provider: ProviderKind, origin: string) => (origin === OFFICIAL_ORIGIN[provider] ? undefined : origin);
  return {
    async getApiKey(provider, origin): Promise<KeyLookup> {
      const stored = (await storage.getStoredKey(provider, nameFor(provider, origin))) ?? (origin === OFFICIAL_ORIGIN[provider] ? await storage.getStoredKey(provider, origin) : undefined);
      if (stored) return { kind: 'bound', key: { value: stored, origin, source: 'SecretStorage' } };
      const others = (await storage.storedOrigins(provider)).filter((o) => o !== origin);
      if (origin !== OFFICIAL_ORIGIN[provider] && (await storage.getStoredKey(provider)) !== undefined) others.unshift(OFFICIAL_ORIGIN[provider]);
      if (others.length === 0) return { kind: 'none' };
      return {
        kind: 'elsewhere',
        keys: others.map((o) => ({ origin: o, source: 'SecretStorage' })),
        howToAllow: `To send a key there, run "Breakwater: Set API Key", choose ${provider} and enter ${origin} as its address; a workspace's endpoint is allowed the same way when you confirm it.`,
      };
    },
  };
}

/**
 * The keys the extension uses: SecretStorage first; in a trusted window the extension host's environment
 * (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, bound to its own base URL or the official origin) when SecretStorage has none.
 */
export function extensionKeys(storage: SecretStorageSource, environment: () => SecretSource | undefined): SecretSource {
  const stored = secretStorageKeys(storage);
  return {
    getApiKey: (provider, origin) => {
      const env = environment();
      return (env === undefined ? stored : firstKeySource([stored, env])).getApiKey(provider, origin);
    },
  };
}
