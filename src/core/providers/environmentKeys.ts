import type { ProviderKind } from '../config/schema';
import { BASE_URL_ENV, envEndpoint, type Env } from '../config/userScope';
import { OFFICIAL_ORIGIN, originOf } from './keyBinding';
import type { SecretSource } from './types';

/** The variables holding provider keys; a local Ollama needs none and none is read for it. */
const KEY_ENV: Readonly<Partial<Record<ProviderKind, string>>> = { anthropic: 'ANTHROPIC_API_KEY', openai: 'OPENAI_API_KEY' };

/**
 * Keys from the environment (the CLI's only source; in VS Code, after SecretStorage, in a trusted window). A key is
 * bound to the endpoint the same environment names (`ANTHROPIC_BASE_URL`) or, without one, to the provider's official
 * origin — never to an endpoint from a config file.
 */
export function environmentKeys(env: Env): SecretSource {
  return {
    async getApiKey(provider, origin) {
      const name = KEY_ENV[provider];
      const value = name === undefined ? undefined : env[name]?.trim();
      if (name === undefined || value === undefined || value === '') return { kind: 'none' };
      const base = envEndpoint(env, provider);
      const boundTo = base === undefined ? OFFICIAL_ORIGIN[provider] : (originOf(base) ?? base);
      const source = `the environment (${name})`;
      if (boundTo === origin) return { kind: 'bound', key: { value, origin, source } };
      return {
        kind: 'elsewhere',
        keys: [{ origin: boundTo, source }],
        howToAllow: `To send a key there, set ${BASE_URL_ENV[provider]} to that endpoint (the key in ${name} is then bound to it); a workspace's endpoint is allowed the same way by confirming it with \`breakwater --trust-config\`. If the endpoint needs no key, unset ${name}.`,
      };
    },
  };
}
