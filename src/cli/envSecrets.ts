import type { SecretSource } from '../core/providers/types';

/** The CLI reads provider keys from the environment only (never from the agents file). */
export function envSecrets(env: NodeJS.ProcessEnv): SecretSource {
  return {
    async getApiKey(provider) {
      const name = provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : provider === 'openai' ? 'OPENAI_API_KEY' : undefined;
      const value = name ? env[name] : undefined;
      return value && value.trim() !== '' ? value : undefined;
    },
  };
}
