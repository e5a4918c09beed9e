import { environmentKeys } from '../core/providers/environmentKeys';
import type { SecretSource } from '../core/providers/types';

/** The CLI reads provider keys from the environment only (never from the agents file), each bound to its origin. */
export function envSecrets(env: NodeJS.ProcessEnv): SecretSource {
  return environmentKeys(env);
}
