/** How a provider call failed, one typed set for every SDK and HTTP failure (see providers/errors.ts). */
export const PROVIDER_ERROR_KINDS = [
  'rate_limited',
  'overloaded',
  'server',
  'timeout',
  'network',
  'auth',
  'bad_request',
  'context_too_long',
  'stream_broken',
  'aborted',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

/** Kinds that may succeed if tried again later; the rest are the user's to fix. */
export const TRANSIENT_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'overloaded', 'server', 'timeout', 'network', 'stream_broken']);
