import assert from 'node:assert/strict';
import { z } from 'zod';
import { startFakeLlm, type FakeLlm } from '../../fixtures/fake-llm/index';
import type { ChatMessage } from '../../../src/core/providers/types';
import { CASES, drain, grepTool, readTool, request } from './harness';

/** What each provider puts on the wire, read back from the fake's request log. */
describe('providers: what is sent', () => {
  let fake: FakeLlm;
  before(async () => (fake = await startFakeLlm()));
  afterEach(() => fake.reset());
  after(() => fake.close());

  const conversation: ChatMessage[] = [
    { role: 'user', text: 'look at a.ts' },
    { role: 'assistant', text: 'Reading it.', toolCalls: [{ id: 'call_1', name: 'read', args: { path: 'a.ts' } }] },
    { role: 'tool', results: [{ callId: 'call_1', toolName: 'read', content: 'no such file', isError: true }] },
    { role: 'user', text: 'try b.ts' },
  ];

  async function sent(kind: 'anthropic' | 'openai' | 'ollama'): Promise<Record<string, unknown>> {
    const c = CASES.find((x) => x.kind === kind)!;
    fake.enqueue({ kind: 'reply', text: 'ok' });
    const out = await drain(c.make(fake).stream(request(c.model, { messages: conversation, temperature: 0.2 })));
    assert.equal(out.error, undefined, out.error?.message);
    return fake.requests[0]?.body as Record<string, unknown>;
  }

  it('anthropic: caches the system prompt and the tool list, sends zod-derived schemas and merges tool results into the user turn', async () => {
    const body = await sent('anthropic');
    assert.deepEqual(body.system, [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }]);
    const tools = body.tools as { name: string; input_schema: Record<string, unknown>; cache_control?: unknown }[];
    assert.deepEqual(tools.map((t) => t.name), ['read', 'grep']);
    assert.equal(tools[0]?.cache_control, undefined);
    assert.deepEqual(tools[1]?.cache_control, { type: 'ephemeral' }, 'the last tool caches the whole list');
    const { $schema: _s, ...schema } = z.toJSONSchema(readTool.parameters, { io: 'input' }) as Record<string, unknown>;
    assert.deepEqual(tools[0]?.input_schema, schema);
    assert.equal(body.stream, true);
    assert.equal(body.max_tokens, 256);
    assert.equal(body.temperature, 0.2);
    assert.deepEqual(body.messages, [
      { role: 'user', content: [{ type: 'text', text: 'look at a.ts' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Reading it.' }, { type: 'tool_use', id: 'call_1', name: 'read', input: { path: 'a.ts' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'no such file', is_error: true },
          { type: 'text', text: 'try b.ts' },
        ],
      },
    ]);
  });

  it('openai: asks for the usage chunk, sends function tools and one tool message per result', async () => {
    const body = await sent('openai');
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.equal(body.stream, true);
    assert.equal(body.max_tokens, 256, 'a compatible endpoint gets max_tokens');
    const tools = body.tools as { type: string; function: { name: string; parameters: unknown } }[];
    assert.deepEqual(tools.map((t) => [t.type, t.function.name]), [['function', 'read'], ['function', 'grep']]);
    assert.deepEqual(body.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'look at a.ts' },
      { role: 'assistant', content: 'Reading it.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'read', arguments: '{"path":"a.ts"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'Error: no such file' },
      { role: 'user', content: 'try b.ts' },
    ]);
  });

  it('ollama: streams /api/chat with tools, object arguments and tool messages', async () => {
    const body = await sent('ollama');
    assert.equal(body.stream, true);
    assert.deepEqual(body.options, { num_predict: 256, temperature: 0.2 });
    assert.deepEqual((body.tools as { function: { name: string } }[]).map((t) => t.function.name), [readTool.name, grepTool.name]);
    assert.deepEqual((body.messages as unknown[])[2], { role: 'assistant', content: 'Reading it.', tool_calls: [{ function: { name: 'read', arguments: { path: 'a.ts' } } }] });
    assert.deepEqual((body.messages as unknown[])[3], { role: 'tool', content: 'Error: no such file', tool_name: 'read' });
  });

  it('sends the API key as a header and never puts it in the body', async () => {
    for (const kind of ['anthropic', 'openai'] as const) {
      fake.reset();
      const c = CASES.find((x) => x.kind === kind)!;
      fake.enqueue({ kind: 'reply', text: 'ok' });
      await drain(c.make(fake, 'sk-secret-123').stream(request(c.model)));
      const recorded = fake.requests[0];
      assert.match(recorded?.headers.authorization ?? recorded?.headers['x-api-key'] ?? '', /sk-secret-123/);
      assert.doesNotMatch(JSON.stringify(recorded?.body), /sk-secret-123/);
    }
  });

  it('anthropic without a key fails with `auth` before sending anything', async () => {
    const c = CASES.find((x) => x.kind === 'anthropic')!;
    const out = await drain(c.make(fake, '').stream(request(c.model)));
    assert.equal(out.error?.kind, 'auth');
    assert.match(out.error?.message ?? '', /ANTHROPIC_API_KEY/);
    assert.equal(fake.requests.length, 0);
  });

  it('an anthropic error event before any text maps by its error type', async () => {
    const c = CASES.find((x) => x.kind === 'anthropic')!;
    fake.enqueue({ kind: 'error_mid_stream', afterText: '', errorType: 'overloaded_error' });
    const out = await drain(c.make(fake).stream(request(c.model)));
    assert.equal(out.error?.kind, 'overloaded');
  });
});
