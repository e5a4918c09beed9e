import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { startFakeLlm, type FakeLlm } from '../fixtures/fake-llm/index';

/** The fake's Anthropic Messages protocol, driven by the real `@anthropic-ai/sdk`. */
describe('fake LLM: Anthropic Messages via @anthropic-ai/sdk', () => {
  let fake: FakeLlm;
  let client: Anthropic;
  before(async () => {
    fake = await startFakeLlm();
    client = new Anthropic({ apiKey: 'sk-ant-test', baseURL: fake.url, maxRetries: 0 });
  });
  afterEach(() => fake.reset());
  after(() => fake.close());

  const params = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

  async function deltas(stream: AsyncIterable<Anthropic.MessageStreamEvent>): Promise<{ text: string[]; json: string[]; types: string[] }> {
    const out = { text: [] as string[], json: [] as string[], types: [] as string[] };
    for await (const event of stream) {
      out.types.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') out.text.push(event.delta.text);
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') out.json.push(event.delta.partial_json);
    }
    return out;
  }

  it('streams text in several text_delta events with usage including cache tokens', async () => {
    fake.enqueue({ kind: 'reply', text: 'Hello from the fake', usage: { input: 40, output: 6, cacheRead: 30, cacheCreation: 5 } });
    const stream = client.messages.stream(params);
    const seen = await deltas(stream);
    const message = await stream.finalMessage();
    assert.equal(seen.text.join(''), 'Hello from the fake');
    assert.ok(seen.text.length > 1, 'text arrives in several deltas');
    assert.deepEqual(seen.types.slice(0, 2), ['message_start', 'content_block_start']);
    assert.equal(seen.types.at(-1), 'message_stop');
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.usage.input_tokens, 40);
    assert.equal(message.usage.output_tokens, 6);
    assert.equal(message.usage.cache_read_input_tokens, 30);
    assert.equal(message.usage.cache_creation_input_tokens, 5);
  });

  it('streams several tool_use blocks with input_json_delta split in pieces', async () => {
    fake.enqueue({
      kind: 'reply',
      text: 'Let me look.',
      toolCalls: [
        { id: 'toolu_a', name: 'read', args: { path: 'src/a.ts' } },
        { name: 'grep', args: { pattern: 'TODO', path: '.' } },
      ],
    });
    const stream = client.messages.stream(params);
    const seen = await deltas(stream);
    const message = await stream.finalMessage();
    assert.ok(seen.json.filter((j) => j.length > 0).length > 2, 'arguments arrive in several fragments');
    const tools = message.content.filter((b) => b.type === 'tool_use');
    assert.deepEqual(
      tools.map((t) => [t.id, t.name, t.input]),
      [
        ['toolu_a', 'read', { path: 'src/a.ts' }],
        ['toolu_fake0002', 'grep', { pattern: 'TODO', path: '.' }],
      ],
    );
    assert.equal(message.stop_reason, 'tool_use');
  });

  it('answers non-streaming requests with a whole message', async () => {
    fake.enqueue({ kind: 'reply', text: 'whole', toolCalls: [{ name: 'glob', args: { pattern: '*.ts' } }], usage: { input: 3, output: 2 } });
    const message = await client.messages.create(params);
    assert.deepEqual(message.content[0], { type: 'text', text: 'whole' });
    assert.equal(message.content[1]?.type, 'tool_use');
    assert.equal(message.usage.input_tokens, 3);
  });

  it('records the request path, headers and parsed body', async () => {
    fake.enqueue({ kind: 'reply', text: 'ok' });
    await client.messages.create({ ...params, system: 'be brief' });
    assert.equal(fake.requests.length, 1);
    const [request] = fake.requests;
    assert.equal(request?.protocol, 'anthropic');
    assert.equal(request?.path, '/v1/messages');
    // This SDK version sends the key as a bearer token; older ones used x-api-key.
    assert.match(request?.headers['x-api-key'] ?? request?.headers.authorization ?? '', /sk-ant-test/);
    assert.deepEqual((request?.body as { system: string }).system, 'be brief');
  });

  it('429 carries retry-after and retry-after-ms headers', async () => {
    fake.enqueue({ kind: 'http_error', status: 429, retryAfterSeconds: 7, retryAfterMs: 1500 });
    const error = await client.messages.create(params).catch((e: unknown) => e);
    assert.ok(error instanceof Anthropic.RateLimitError);
    assert.equal(error.status, 429);
    assert.equal(error.headers?.get('retry-after'), '7');
    assert.equal(error.headers?.get('retry-after-ms'), '1500');
    assert.equal((error.error as { error: { type: string } }).error.type, 'rate_limit_error');
  });

  for (const [status, errorClass, type] of [
    [500, Anthropic.InternalServerError, 'api_error'],
    [503, Anthropic.InternalServerError, 'api_error'],
    [529, Anthropic.InternalServerError, 'overloaded_error'],
    [401, Anthropic.AuthenticationError, 'authentication_error'],
    [400, Anthropic.BadRequestError, 'invalid_request_error'],
  ] as const) {
    it(`HTTP ${status} is seen as ${errorClass.name} with error type ${type}`, async () => {
      fake.enqueue({ kind: 'http_error', status, shouldRetry: false });
      const error = await client.messages.stream(params).finalMessage().catch((e: unknown) => e);
      assert.ok(error instanceof errorClass, `got ${String(error)}`);
      assert.equal(error.status, status);
      assert.equal((error.error as { error: { type: string } }).error.type, type);
      assert.equal(error.headers?.get('x-should-retry'), 'false');
      assert.equal(fake.requests.length, 1, 'maxRetries: 0 means one attempt');
    });
  }

  it('an error event after HTTP 200 fails the stream after the partial text', async () => {
    fake.enqueue({ kind: 'error_mid_stream', afterText: 'partial answer', errorType: 'overloaded_error' });
    const text: string[] = [];
    const error = await (async () => {
      for await (const event of client.messages.stream(params)) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text.push(event.delta.text);
      }
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'partial answer');
    assert.ok(error instanceof Anthropic.APIError);
    assert.match(error.message, /overloaded_error/);
  });

  it('a stall before headers lasts until the client aborts', async () => {
    fake.enqueue({ kind: 'stall_before_headers' });
    const controller = new AbortController();
    const pending = client.messages.create(params, { signal: controller.signal }).catch((e: unknown) => e);
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    assert.ok((await pending) instanceof Anthropic.APIUserAbortError);
  });

  it('a stall after some text keeps the stream open until the client aborts', async () => {
    fake.enqueue({ kind: 'stall_after_text', afterText: 'first words' });
    const controller = new AbortController();
    const text: string[] = [];
    const error = await (async () => {
      for await (const event of client.messages.stream(params, { signal: controller.signal })) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text.push(event.delta.text);
        if (text.join('') === 'first words') controller.abort();
      }
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'first words');
    assert.ok(error instanceof Anthropic.APIUserAbortError, `got ${String(error)}`);
  });

  it('a reset before headers is a connection error', async () => {
    fake.enqueue({ kind: 'reset' });
    const error = await client.messages.create(params).catch((e: unknown) => e);
    assert.ok(error instanceof Anthropic.APIConnectionError);
  });

  it('slow tokens arrive one by one, so an abort after the first leaves the rest unsent', async () => {
    fake.enqueue({ kind: 'reply', text: 'a'.repeat(40), tokenDelayMs: 20 });
    const controller = new AbortController();
    const text: string[] = [];
    await (async () => {
      for await (const event of client.messages.stream(params, { signal: controller.signal })) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          text.push(event.delta.text);
          controller.abort();
        }
      }
    })().catch(() => undefined);
    assert.equal(text.length, 1);
    assert.ok(text.join('').length < 40);
  });
});
