import assert from 'node:assert/strict';
import { ProviderError } from '../../../src/core/providers/errors';
import { parseRetryAfterMs, toProviderError } from '../../../src/core/providers/errorMapping';

describe('providers: error mapping', () => {
  const ctx = { provider: 'openai' as const };
  const withCode = (code: string, message = 'fetch failed') => Object.assign(new TypeError(message), { cause: Object.assign(new Error(code), { code }) });

  describe('parseRetryAfterMs', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    it('prefers retry-after-ms over retry-after', () => {
      assert.equal(parseRetryAfterMs({ 'retry-after-ms': '250.5', 'retry-after': '9' }, now), 250.5);
    });
    it('reads retry-after as seconds', () => {
      assert.equal(parseRetryAfterMs(new Headers({ 'retry-after': '2' }), now), 2000);
    });
    it('reads retry-after as an HTTP date relative to the clock, never negative', () => {
      assert.equal(parseRetryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 12:00:05 GMT' }, now), 5000);
      assert.equal(parseRetryAfterMs({ 'retry-after': 'Sun, 01 Jun 2025 11:00:00 GMT' }, now), 0);
    });
    it('ignores absent, negative and garbage values', () => {
      assert.equal(parseRetryAfterMs({}, now), undefined);
      assert.equal(parseRetryAfterMs({ 'retry-after-ms': '-5' }, now), undefined);
      assert.equal(parseRetryAfterMs({ 'retry-after': 'soon' }, now), undefined);
    });
  });

  for (const [code, kind] of [
    ['ECONNRESET', 'network'],
    ['ECONNREFUSED', 'network'],
    ['UND_ERR_SOCKET', 'network'],
    ['ETIMEDOUT', 'timeout'],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout'],
  ] as const) {
    it(`${code} deep in the cause chain → ${kind}, original kept as cause`, () => {
      const original = withCode(code);
      const mapped = toProviderError(original, ctx);
      assert.equal(mapped.kind, kind);
      assert.equal(mapped.cause, original);
      assert.ok(mapped.transient);
    });
  }

  it('"socket hang up" → network', () => {
    assert.equal(toProviderError(new Error('socket hang up'), ctx).kind, 'network');
  });

  it('an Ollama-style error (status_code) uses headers captured from the response', () => {
    const error = Object.assign(new Error('slow down'), { name: 'ResponseError', status_code: 429 });
    const mapped = toProviderError(error, { provider: 'ollama', headers: { 'retry-after': '4' } });
    assert.equal(mapped.kind, 'rate_limited');
    assert.equal(mapped.status, 429);
    assert.equal(mapped.retryAfterMs, 4000);
  });

  it('OpenAI context_length_exceeded messages → context_too_long, not retried', () => {
    const error = Object.assign(new Error("400 This model's maximum context length is 128000 tokens"), { status: 400 });
    const mapped = toProviderError(error, ctx);
    assert.equal(mapped.kind, 'context_too_long');
    assert.equal(mapped.transient, false);
  });

  it('403 → auth; 422 → bad_request; 408 → timeout', () => {
    assert.equal(toProviderError(Object.assign(new Error('no'), { status: 403 }), ctx).kind, 'auth');
    assert.equal(toProviderError(Object.assign(new Error('no'), { status: 422 }), ctx).kind, 'bad_request');
    assert.equal(toProviderError(Object.assign(new Error('slow'), { status: 408 }), ctx).kind, 'timeout');
  });

  it('a failure after text is stream_broken, even one already typed', () => {
    const typed = new ProviderError('network', 'closed early');
    const mapped = toProviderError(typed, { ...ctx, partialText: 'abc' });
    assert.equal(mapped.kind, 'stream_broken');
    assert.equal(mapped.partialText, 'abc');
    assert.equal(mapped.cause, typed);
  });

  it('a typed error without partial text passes through unchanged', () => {
    const typed = new ProviderError('auth', 'no key');
    assert.equal(toProviderError(typed, ctx), typed);
  });

  it('an aborted signal wins over whatever the SDK threw', () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(toProviderError(withCode('ECONNRESET'), { ...ctx, signal: controller.signal, partialText: 'x' }).kind, 'aborted');
  });
});
