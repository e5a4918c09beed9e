import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startFakeLlm, type FakeLlm } from '../fixtures/fake-llm/index';

/** The fake's Ollama `/api/chat` protocol, driven by the real `ollama` client. */
describe('fake LLM: Ollama /api/chat via ollama', () => {
  let fake: FakeLlm;
  let client: Ollama;
  before(async () => {
    fake = await startFakeLlm();
    client = new Ollama({ host: fake.url });
  });
  afterEach(() => fake.reset());
  after(() => fake.close());

  const params = { model: 'llama3.1', messages: [{ role: 'user', content: 'hi' }] };

  it('streams NDJSON content pieces and a final done line with counts', async () => {
    fake.enqueue({ kind: 'reply', text: 'Hello from the fake', usage: { input: 40, output: 6 } });
    const parts = [];
    for await (const part of await client.chat({ ...params, stream: true })) parts.push(part);
    assert.equal(parts.map((p) => p.message.content).join(''), 'Hello from the fake');
    assert.ok(parts.length > 2);
    const last = parts.at(-1);
    assert.equal(last?.done, true);
    assert.equal(last?.done_reason, 'stop');
    assert.equal(last?.prompt_eval_count, 40);
    assert.equal(last?.eval_count, 6);
  });

  it('sends several tool calls with object arguments', async () => {
    fake.enqueue({ kind: 'reply', toolCalls: [{ name: 'read', args: { path: 'a.ts' } }, { name: 'grep', args: { pattern: 'x' } }] });
    const calls = [];
    for await (const part of await client.chat({ ...params, stream: true })) calls.push(...(part.message.tool_calls ?? []));
    assert.deepEqual(calls.map((c) => [c.function.name, c.function.arguments]), [
      ['read', { path: 'a.ts' }],
      ['grep', { pattern: 'x' }],
    ]);
  });

  it('answers non-streaming requests in one object', async () => {
    fake.enqueue({ kind: 'reply', text: 'whole', usage: { input: 3, output: 2 } });
    const response = await client.chat({ ...params, stream: false });
    assert.equal(response.message.content, 'whole');
    assert.equal(response.eval_count, 2);
    assert.equal(fake.requests[0]?.path, '/api/chat');
    assert.equal((fake.requests[0]?.body as { stream: boolean }).stream, false);
  });

  it('answers the health endpoints /api/version and /api/tags', async () => {
    assert.equal(typeof (await client.version()).version, 'string');
    assert.deepEqual((await client.list()).models, []);
    assert.deepEqual(fake.requests.map((r) => r.path), ['/api/version', '/api/tags']);
  });

  for (const status of [429, 500, 503, 401]) {
    it(`HTTP ${status} is a ResponseError with that status and the {error} message`, async () => {
      fake.enqueue({ kind: 'http_error', status, message: `boom ${status}` });
      const error = await client.chat({ ...params, stream: true }).catch((e: unknown) => e);
      assert.equal((error as { name: string }).name, 'ResponseError');
      assert.equal((error as { status_code: number }).status_code, status);
      assert.equal((error as Error).message, `boom ${status}`);
    });
  }

  it('an {error} line after HTTP 200 fails the stream after the partial text', async () => {
    fake.enqueue({ kind: 'error_mid_stream', afterText: 'partial answer' });
    const text: string[] = [];
    const error = await (async () => {
      for await (const part of await client.chat({ ...params, stream: true })) text.push(part.message.content);
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'partial answer');
    assert.match((error as Error).message, /error mid-stream/);
  });

  it('a stall after some text lasts until the stream is aborted', async () => {
    fake.enqueue({ kind: 'stall_after_text', afterText: 'first words' });
    const stream = await client.chat({ ...params, stream: true });
    const text: string[] = [];
    const error = await (async () => {
      for await (const part of stream) {
        text.push(part.message.content);
        if (text.join('') === 'first words') stream.abort();
      }
    })().catch((e: unknown) => e);
    assert.equal(text.join(''), 'first words');
    assert.equal((error as Error).name, 'AbortError');
  });

  it('a reset before headers is a fetch failure', async () => {
    fake.enqueue({ kind: 'reset' });
    const error = await client.chat({ ...params, stream: true }).catch((e: unknown) => e);
    assert.ok(error instanceof TypeError, `got ${String(error)}`);
  });
});
