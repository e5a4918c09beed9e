import * as os from 'node:os';
import * as path from 'node:path';
import type { ProviderKind } from './schema';

/**
 * Where the user scope lives (README, "Configuration"), read from an explicit environment so the CLI, the extension
 * and tests each pass their own: the user's agents file and the folder of user-scope state (confirmations).
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** Overrides the user's agents file (for tests and unusual setups). */
export const USER_CONFIG_ENV = 'BREAKWATER_USER_CONFIG';

/** The environment variable that sets each provider's endpoint; it wins over both agents files. */
export const BASE_URL_ENV: Readonly<Record<ProviderKind, string>> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  openai: 'OPENAI_BASE_URL',
  ollama: 'OLLAMA_HOST',
};

/** The config field each endpoint variable overrides. */
export const ENDPOINT_FIELD: Readonly<Record<ProviderKind, readonly [string, string, string]>> = {
  anthropic: ['providers', 'anthropic', 'base_url'],
  openai: ['providers', 'openai', 'base_url'],
  ollama: ['providers', 'ollama', 'host'],
};

const set = (env: Env, name: string): string | undefined => {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
};

const home = (env: Env): string => set(env, 'HOME') ?? os.homedir();

/** `BREAKWATER_USER_CONFIG`, else `$XDG_CONFIG_HOME/breakwater/agents.yaml` (default `~/.config/…`). */
export function userConfigPath(env: Env): string {
  const explicit = set(env, USER_CONFIG_ENV);
  if (explicit) return path.resolve(explicit);
  const base = set(env, 'XDG_CONFIG_HOME');
  return path.join(base && path.isAbsolute(base) ? base : path.join(home(env), '.config'), 'breakwater', 'agents.yaml');
}

/** `$XDG_STATE_HOME/breakwater` (default `~/.local/state/breakwater`): user-scope state such as confirmations. */
export function userStateDir(env: Env): string {
  const base = set(env, 'XDG_STATE_HOME');
  return path.join(base && path.isAbsolute(base) ? base : path.join(home(env), '.local', 'state'), 'breakwater');
}

/** The CLI's record of confirmed workspace values. */
export function trustStorePath(env: Env): string {
  return path.join(userStateDir(env), 'trust.json');
}

/** The endpoint an environment variable sets for `kind`, if any (trimmed; empty counts as unset). */
export function envEndpoint(env: Env, kind: ProviderKind): string | undefined {
  return set(env, BASE_URL_ENV[kind]);
}
