import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startFakeLlm, type FakeLlm } from '../fixtures/fake-llm/index';

/** The fake's OpenAI Chat Completions protocol, driven by the real `openai` SDK. */
describe('fake LLM: OpenAI Chat Completions via openai', () => {
  let fake: FakeLlm;
  let client: OpenAI;
  before(async () => {
    fake = await startFakeLlm();
    client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  after(() => fake.close());

  const params = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hi' }] };
  const streamed = { ...params, stream: true as const, stream_options: { include_usage: true } };

  async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
    const out = { text: [] as string[], argPieces: 0, finish: [] as string[], usage: undefined as OpenAI.CompletionUsage | undefined, calls: new Map<number, { id: string; name: string; args: string }>() };
    for await (const chunk of stream) {
      if (chunk.usage) out.usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.delta.content) out.text.push(choice.delta.content);
        if (choice.finish_reason) out.finish.push(choice.finish_reason);
        for (const call of choice.delta.tool_calls ?? []) {
          const entry = out.calls.get(call.index) ?? { id: '', name: '', args: '' };
          entry.id += call.id ?? '';
          entry.name += call.function?.name ?? '';
          if (call.function?.arguments) {
            entry.args += call.function.arguments;
            out.argPieces++;
          }
          out.calls.set(call.index, entry);
        }
      }
    }
    return out;
  }

  it('streams content deltas, a finish_reason and the usage chunk with cached tokens', async () => {
    fake.enqueue({ kind: 'reply', text: 'Hello from the fake', usage: { input: 40, output: 6, cacheRead: 30 } });
    const seen = await collect(await client.chat.completions.create(streamed));
    assert.equal(seen.text.join(''), 'Hello from the fake');
    assert.ok(seen.text.length > 1);
    assert.deepEqual(seen.finish, ['stop']);
    assert.equal(seen.usage?.prompt_tokens, 70, 'prompt_tokens include the cached ones');
    assert.equal(seen.usage?.prompt_tokens_details?.cached_tokens, 30);
    assert.equal(seen.usage?.completion_tokens, 6);
  });

  it('sends no usage chunk unless stream_options.include_usage asks for it', async () => {
    fake.enqueue({ kind: 'reply', text: 'x' });
    const seen = await collect(await client.chat.completions.create({ ...params, stream: true }));
    assert.equal(seen.usage, undefined);
  });

  it('streams several tool_calls with arguments split in pieces', async () => {
    fake.enqueue({ kind: 'reply', toolCalls: [{ id: 'call_1', name: 'read', args: { path: 'src/a.ts' } }, { name: 'bash', args: { command: 'ls -la' } }] });
    const seen = await collect(await client.chat.completions.create(streamed));
    assert.deepEqual([...seen.calls.values()].map((c) => [c.id, c.name, JSON.parse(c.args)]), [
      ['call_1', 'read', { path: 'src/a.ts' }],
      ['call_fake0002', 'bash', { command: 'ls -la' }],
    ]);
    assert.ok(seen.argPieces > 2);
    assert.deepEqual(seen.finish, ['tool_calls']);
  });

  it('is understood by the SDK stream helper, which rebuilds the whole completion', async () => {
    fake.enqueue({ kind: 'reply', text: 'Hi', toolCalls: [{ name: 'glob', args: { pattern: '*.md' } }] });
    const completion = await client.chat.completions.stream(streamed).finalChatCompletion();
    assert.equal(completion.choices[0]?.message.content, 'Hi');
    assert.equal(completion.choices[0]?.message.tool_calls?.[0]?.type, 'function');
  });

  it('answers non-streaming requests with a whole completion', async () => {
    fake.enqueue({ kind: 'reply', text: 'whole', usage: { input: 3, output: 2 } });
    const completion = await client.chat.completions.create(params);
    assert.equal(completion.choices[0]?.message.content, 'whole');
    assert.equal(completion.usage?.total_tokens, 5);
  });

  it('records the request with its bearer key and body', async () => {
    fake.enqueue({ kind: 'reply', text: 'ok' });
    await client.chat.completions.create(params);
    assert.equal(fake.requests[0]?.protocol, 'openai');
    assert.equal(fake.requests[0]?.path, '/v1/chat/completions');
    assert.equal(fake.requests[0]?.headers.authorization, 'Bearer sk-test');
    assert.equal((fake.requests[0]?.body as { model: string }).model, 'gpt-4o');
  });

  it('429 carries retry-after headers and the rate_limit_exceeded code', async () => {
    fake.enqueue({ kind: 'http_error', status: 429, retryAfterSeconds: 2, retryAfterMs: 1500 });
    const error = await client.chat.completions.create(params).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.RateLimitError);
    assert.equal(error.headers?.get('retry-after'), '2');
    assert.equal(error.headers?.get('retry-after-ms'), '1500');
    assert.equal(error.code, 'rate_limit_exceeded');
  });

  for (const [status, errorClass] of [
    [500, OpenAI.InternalServerError],
    [503, OpenAI.InternalServerError],
    [529, OpenAI.InternalServerError],
    [401, OpenAI.AuthenticationError],
    [404, OpenAI.NotFoundError],
  ] as const) {
    it(`HTTP ${status} is seen as ${errorClass.name}, in one attempt`, async () => {
      fake.enqueue({ kind: 'http_error', status });
      const error = await client.chat.completions.create(streamed).catch((e: unknown) => e);
      assert.ok(error instanceof errorClass, `got ${String(error)}`);
      assert.equal(error.status, status);
      assert.equal(fake.requests.length, 1);
    });
  }

  it('an error chunk after HTTP 200 fails the stream after the partial text', async () => {
    fake.enqueue({ kind: 'error_mid_stream', afterText: 'partial answer' });
    const text: string[] = [];
    const error = await (async () => {
      for await (const chunk of await client.chat.completions.create(streamed)) text.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'partial answer');
    assert.ok(error instanceof OpenAI.APIError);
    assert.match(error.message, /error mid-stream/);
  });

  it('a stall before headers lasts until the client aborts', async () => {
    fake.enqueue({ kind: 'stall_before_headers' });
    const controller = new AbortController();
    const pending = client.chat.completions.create(streamed, { signal: controller.signal }).catch((e: unknown) => e);
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    assert.ok((await pending) instanceof OpenAI.APIUserAbortError);
  });

  it('a reset after some text breaks the stream', async () => {
    fake.enqueue({ kind: 'reset', afterText: 'some words' });
    const text: string[] = [];
    const error = await (async () => {
      for await (const chunk of await client.chat.completions.create(streamed)) text.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'some words');
    assert.ok(error instanceof Error);
  });
});
