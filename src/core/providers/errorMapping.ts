import type { ProviderKind } from '../config/schema';
import { isProviderError, ProviderError, type ProviderErrorKind } from './errors';

/**
 * Turns whatever an SDK, `fetch` or the socket threw into one `ProviderError`, keeping the original as
 * `cause`. The three SDKs disagree on shapes (`status` vs `status_code`, `Headers` vs none, error
 * bodies with or without a `type`), so this reads them structurally instead of by class.
 */
export interface ErrorContext {
  readonly provider: ProviderKind;
  /** Text already yielded to the caller; non-empty makes any failure but an abort `stream_broken`. */
  readonly partialText?: string;
  /** The caller's signal: once aborted, the failure is the caller's `aborted` (or `timeout`, see below). */
  readonly signal?: AbortSignal;
  /** Response headers seen for this attempt, for SDKs whose errors carry none (Ollama). */
  readonly headers?: HeaderSource;
  /** Clock for an HTTP-date `retry-after`; defaults to `Date.now`. */
  readonly now?: () => number;
}

export type HeaderSource = { get(name: string): string | null } | Readonly<Record<string, string | undefined>>;

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CONTEXT_TOO_LONG = /prompt is too long|context[ _-]?(length|window)|maximum context|too many tokens|context_length_exceeded|input is too long/i;

/** Maps any thrown value to a `ProviderError`; a `ProviderError` passes through unchanged unless text was already yielded. */
export function toProviderError(error: unknown, context: ErrorContext): ProviderError {
  const partialText = context.partialText ?? '';
  // Our own fetch guard (keyBinding.ts) throws a typed error inside the SDK, which wraps it as a connection error.
  const guarded = typedCause(error);
  if (guarded !== undefined && partialText === '') return guarded;
  // Already typed — unless text had reached the caller, which makes any failure a broken stream.
  if (isProviderError(error) && (partialText === '' || error.kind === 'aborted' || error.kind === 'stream_broken')) return error;
  const name = context.provider;
  if (context.signal?.aborted) {
    const reason: unknown = context.signal.reason;
    // AbortSignal.timeout() aborts with a TimeoutError: that is a timeout, not the user cancelling.
    if (reason instanceof Error && reason.name === 'TimeoutError') return new ProviderError('timeout', `${name}: the call timed out`, { cause: error });
    return new ProviderError('aborted', `${name}: the call was cancelled`, { cause: error });
  }
  const status = statusOf(error);
  const headers = headersOf(error) ?? context.headers;
  const retryAfterMs = headers === undefined ? undefined : parseRetryAfterMs(headers, (context.now ?? Date.now)());
  const shouldRetryHeader = headers === undefined ? null : readHeader(headers, 'x-should-retry');
  const options = {
    cause: error,
    status,
    retryAfterMs,
    shouldRetry: shouldRetryHeader === 'false' ? false : shouldRetryHeader === 'true' ? true : undefined,
  };
  const detail = messageOf(error);

  if (partialText.length > 0) {
    return new ProviderError('stream_broken', `${name}: the answer broke off after ${partialText.length} characters: ${detail}`, { ...options, partialText });
  }
  const kind = kindOf(error, status, detail);
  return new ProviderError(kind, `${name}: ${DESCRIPTIONS[kind]}${status === undefined ? '' : ` (HTTP ${status})`}: ${detail}`, options);
}

function typedCause(error: unknown): ProviderError | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && e instanceof Error; depth++) {
    e = e.cause;
    if (isProviderError(e)) return e;
  }
  return undefined;
}

const DESCRIPTIONS: Record<ProviderErrorKind, string> = {
  rate_limited: 'rate limited',
  overloaded: 'the service is overloaded',
  server: 'server error',
  timeout: 'timed out',
  network: 'network failure',
  auth: 'authentication failed — check the API key',
  bad_request: 'the request was refused',
  context_too_long: 'the conversation is too long for the model',
  stream_broken: 'the answer broke off',
  aborted: 'cancelled',
};

function kindOf(error: unknown, status: number | undefined, detail: string): ProviderErrorKind {
  const type = errorTypeOf(error);
  if (status === 529 || type === 'overloaded_error') return 'overloaded';
  if (status === 429 || type === 'rate_limit_error') return 'rate_limited';
  if (status === 401 || status === 403 || type === 'authentication_error' || type === 'permission_error') return 'auth';
  if (status === 413 || CONTEXT_TOO_LONG.test(detail)) return 'context_too_long';
  if (status === 408) return 'timeout';
  if (status !== undefined && status >= 500) return 'server';
  if (status !== undefined && status >= 400) return 'bad_request';
  if (type === 'api_error' || type === 'server_error') return 'server';
  if (type === 'invalid_request_error' || type === 'not_found_error') return 'bad_request';
  const codes = causeChain(error).map(codeOf);
  const names = causeChain(error).map((e) => (e instanceof Error ? e.name : ''));
  if (names.includes('APIConnectionTimeoutError') || codes.some((c) => TIMEOUT_CODES.has(c))) return 'timeout';
  if (names.includes('APIConnectionError') || codes.some((c) => NETWORK_CODES.has(c)) || /socket hang up|fetch failed|terminated|network|ECONNRESET|ECONNREFUSED/i.test(detail)) {
    return 'network';
  }
  // Anything else (a malformed frame, an in-stream error with no type) came from the far side mid-call.
  return 'server';
}

/** `retry-after-ms` (milliseconds) wins over `retry-after` (seconds, or an HTTP date). Undefined when absent or unreadable. */
export function parseRetryAfterMs(headers: HeaderSource, now: number): number | undefined {
  const ms = readHeader(headers, 'retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = readHeader(headers, 'retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function readHeader(headers: HeaderSource, name: string): string | null {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name);
  const record = headers as Readonly<Record<string, string | undefined>>;
  return record[name] ?? null;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, status_code: statusCode } = error as { status?: unknown; status_code?: unknown };
  const value = typeof status === 'number' ? status : typeof statusCode === 'number' ? statusCode : undefined;
  return value !== undefined && value >= 100 ? value : undefined;
}

function headersOf(error: unknown): HeaderSource | undefined {
  const headers = (error as { headers?: unknown } | null)?.headers;
  return typeof headers === 'object' && headers !== null ? (headers as HeaderSource) : undefined;
}

/** The provider's error type: Anthropic `{type:'error', error:{type}}`, OpenAI `{type}` / `{code}`. */
function errorTypeOf(error: unknown): string | undefined {
  const e = error as { type?: unknown; error?: { type?: unknown; error?: { type?: unknown } } } | null;
  const type = e?.error?.error?.type ?? e?.error?.type ?? e?.type;
  return typeof type === 'string' ? type : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e: unknown = error; e !== undefined && e !== null && chain.length < 6; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}
