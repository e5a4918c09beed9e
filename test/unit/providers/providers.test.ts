import assert from 'node:assert/strict';
import { startFakeLlm, type FakeLlm } from '../../fixtures/fake-llm/index';
import type { StreamEvent } from '../../../src/core/providers/types';
import { attempts, CASES, drain, request } from './harness';

/** The same behaviours, for each provider, against the fake server with the real SDK underneath. */
for (const c of CASES) {
  describe(`${c.kind} provider against the fake server`, () => {
    let fake: FakeLlm;
    before(async () => (fake = await startFakeLlm()));
    afterEach(() => fake.reset());
    after(() => fake.close());

    const kinds = (events: StreamEvent[]) => events.map((e) => e.type);

    it('streams text in several deltas, then usage, then the stop reason, in one HTTP attempt', async () => {
      fake.enqueue({ kind: 'reply', text: 'Hello from the fake model', usage: { input: 20, output: 7 } });
      const out = await drain(c.make(fake).stream(request(c.model)));
      assert.equal(out.error, undefined);
      assert.equal(out.text, 'Hello from the fake model');
      assert.ok(out.events.filter((e) => e.type === 'text').length > 1);
      assert.deepEqual(kinds(out.events).slice(-2), ['usage', 'stop']);
      assert.deepEqual(out.events.at(-1), { type: 'stop', reason: 'end_turn' });
      assert.equal(attempts(fake), 1);
    });

    it('yields one complete tool call with arguments parsed by the tool schema (defaults applied)', async () => {
      fake.enqueue({ kind: 'reply', text: 'Reading.', toolCalls: [{ name: 'read', args: { path: 'src/a.ts' } }] });
      const out = await drain(c.make(fake).stream(request(c.model)));
      const calls = out.events.filter((e) => e.type === 'tool_call');
      assert.equal(calls.length, 1);
      assert.equal(calls[0]?.call.name, 'read');
      assert.deepEqual(calls[0]?.call.args, { path: 'src/a.ts', maxLines: 200 });
      assert.equal(calls[0]?.invalid, undefined);
      assert.ok(calls[0]?.call.id.length);
      assert.deepEqual(out.events.at(-1), { type: 'stop', reason: 'tool_use' });
    });

    it('yields several tool calls of one turn, in order, with distinct ids', async () => {
      fake.enqueue({
        kind: 'reply',
        toolCalls: [
          { name: 'read', args: { path: 'a.ts', maxLines: 5 } },
          { name: 'grep', args: { pattern: 'TODO' } },
          { name: 'read', args: { path: 'b.ts' } },
        ],
      });
      const out = await drain(c.make(fake).stream(request(c.model)));
      const calls = out.events.flatMap((e) => (e.type === 'tool_call' ? [e.call] : []));
      assert.deepEqual(calls.map((x) => [x.name, x.args]), [
        ['read', { path: 'a.ts', maxLines: 5 }],
        ['grep', { pattern: 'TODO', path: '.' }],
        ['read', { path: 'b.ts', maxLines: 200 }],
      ]);
      assert.equal(new Set(calls.map((x) => x.id)).size, 3);
    });

    it('flags invalid arguments and unknown tools with a reason instead of throwing', async () => {
      fake.enqueue({ kind: 'reply', toolCalls: [{ name: 'read', args: { path: 42 } }, { name: 'rm_rf', args: {} }] });
      const out = await drain(c.make(fake).stream(request(c.model)));
      const calls = out.events.flatMap((e) => (e.type === 'tool_call' ? [e] : []));
      assert.match(calls[0]?.invalid ?? '', /invalid arguments for "read".*path/s);
      assert.deepEqual(calls[0]?.call.args, { path: 42 });
      assert.match(calls[1]?.invalid ?? '', /no tool named "rm_rf".*read, grep/);
    });

    it('reports usage in the shared shape', async () => {
      fake.enqueue({ kind: 'reply', text: 'ok', usage: { input: 120, output: 30, cacheRead: 1000, cacheCreation: 50 } });
      const out = await drain(c.make(fake).stream(request(c.model)));
      const usage = out.events.find((e) => e.type === 'usage')?.usage;
      const expected = {
        anthropic: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 1000, cacheCreationTokens: 50 },
        // Chat Completions reports cache reads only; prompt_tokens (1120) minus cached is the full-price input.
        openai: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 1000, cacheCreationTokens: 0 },
        ollama: { inputTokens: 120, outputTokens: 30, cacheReadTokens: 0, cacheCreationTokens: 0 },
      }[c.kind];
      assert.deepEqual(usage, expected);
    });

    it('an abort mid-stream ends it as `aborted`, with the cause kept', async () => {
      fake.enqueue({ kind: 'reply', text: 'x'.repeat(60), tokenDelayMs: 15 });
      const controller = new AbortController();
      const out = await drain(c.make(fake).stream(request(c.model, { signal: controller.signal })), (e) => {
        if (e.type === 'text') controller.abort();
      });
      assert.equal(out.error?.kind, 'aborted');
      assert.ok(out.error?.cause !== undefined);
      assert.ok(out.text.length > 0 && out.text.length < 60);
    });

    it('an already-aborted signal sends nothing', async () => {
      const out = await drain(c.make(fake).stream(request(c.model, { signal: AbortSignal.abort() })));
      assert.equal(out.error?.kind, 'aborted');
      assert.equal(attempts(fake), 0);
    });

    const faults = [
      { script: { kind: 'http_error', status: 429, retryAfterMs: 1500 }, kind: 'rate_limited', retryAfterMs: 1500 },
      { script: { kind: 'http_error', status: 429, retryAfterSeconds: 3 }, kind: 'rate_limited', retryAfterMs: 3000 },
      { script: { kind: 'http_error', status: 529 }, kind: 'overloaded' },
      { script: { kind: 'http_error', status: 500 }, kind: 'server' },
      { script: { kind: 'http_error', status: 503 }, kind: 'server' },
      { script: { kind: 'http_error', status: 401 }, kind: 'auth' },
      { script: { kind: 'http_error', status: 400 }, kind: 'bad_request' },
      { script: { kind: 'http_error', status: 404 }, kind: 'bad_request' },
      { script: { kind: 'http_error', status: 400, message: 'prompt is too long: 210000 tokens > 200000 maximum' }, kind: 'context_too_long' },
      { script: { kind: 'reset' }, kind: 'network' },
    ] as const;
    for (const f of faults) {
      const label = f.script.kind === 'reset' ? 'a connection reset' : `HTTP ${f.script.status}${'message' in f.script ? ` "${f.script.message.slice(0, 18)}…"` : ''}`;
      it(`${label} → ${f.kind}${'retryAfterMs' in f ? ` with retryAfterMs ${f.retryAfterMs}` : ''}, cause kept, one attempt`, async () => {
        fake.enqueue(f.script);
        const out = await drain(c.make(fake).stream(request(c.model)));
        assert.equal(out.error?.kind, f.kind, out.error?.message);
        assert.ok(out.error?.cause instanceof Error, 'the SDK error stays attached as the cause');
        if ('retryAfterMs' in f) assert.equal(out.error?.retryAfterMs, f.retryAfterMs);
        if (f.script.kind === 'http_error') assert.equal(out.error?.status, f.script.status);
        assert.equal(attempts(fake), 1, 'the SDK must not retry on its own');
      });
    }

    it('x-should-retry: false makes a server error non-transient', async () => {
      fake.enqueue({ kind: 'http_error', status: 503, shouldRetry: false });
      const out = await drain(c.make(fake).stream(request(c.model)));
      assert.equal(out.error?.kind, 'server');
      assert.equal(out.error?.shouldRetry, false);
      assert.equal(out.error?.transient, false);
    });

    it('an error event after text → stream_broken with exactly the text already yielded', async () => {
      fake.enqueue({ kind: 'error_mid_stream', afterText: 'The answer is forty' });
      const out = await drain(c.make(fake).stream(request(c.model)));
      assert.equal(out.error?.kind, 'stream_broken');
      assert.equal(out.error?.partialText, 'The answer is forty');
      assert.equal(out.text, 'The answer is forty', 'no text duplicated or lost');
      assert.ok(out.error?.cause !== undefined);
      assert.equal(attempts(fake), 1);
    });

    it('a reset after text → stream_broken with the partial text', async () => {
      fake.enqueue({ kind: 'reset', afterText: 'half an answ' });
      const out = await drain(c.make(fake).stream(request(c.model)));
      assert.equal(out.error?.kind, 'stream_broken');
      assert.equal(out.error?.partialText, 'half an answ');
    });

    it('a stall before headers ends when the caller aborts', async () => {
      fake.enqueue({ kind: 'stall_before_headers' });
      const controller = new AbortController();
      const pending = drain(c.make(fake).stream(request(c.model, { signal: controller.signal })));
      while (attempts(fake) === 0) await new Promise((r) => setTimeout(r, 5));
      controller.abort();
      const out = await pending;
      assert.equal(out.error?.kind, 'aborted');
    });

    it('a stall after text ends with `timeout` when the signal is an AbortSignal.timeout', async () => {
      fake.enqueue({ kind: 'stall_after_text', afterText: 'so far' });
      const out = await drain(c.make(fake).stream(request(c.model, { signal: AbortSignal.timeout(150) })));
      assert.equal(out.error?.kind, 'timeout');
      assert.equal(out.text, 'so far');
    });
  });
}
