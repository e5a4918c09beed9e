/**
 * One typed set for every SDK and HTTP failure. The original error (and its stack) stays attached as
 * `cause`, so the original stack is kept.
 */
export { PROVIDER_ERROR_KINDS, TRANSIENT_KINDS, type ProviderErrorKind } from '../common/providerErrorKinds';
import { TRANSIENT_KINDS, type ProviderErrorKind } from '../common/providerErrorKinds';

const brand = Symbol.for('breakwater.ProviderError');

export interface ProviderErrorOptions {
  readonly cause?: unknown;
  /** HTTP status, when there was one. */
  readonly status?: number;
  /** From `retry-after-ms` / `retry-after`, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The server said `x-should-retry: false`. */
  readonly shouldRetry?: boolean;
  /** Text already streamed to the user before the failure (for `stream_broken`). */
  readonly partialText?: string;
}

export class ProviderError extends Error {
  readonly [brand] = true;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly shouldRetry?: boolean;
  readonly partialText?: string;

  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.shouldRetry = options.shouldRetry;
    this.partialText = options.partialText;
  }

  get transient(): boolean {
    return TRANSIENT_KINDS.has(this.kind) && this.shouldRetry !== false;
  }
}

export function isProviderError(e: unknown): e is ProviderError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}
