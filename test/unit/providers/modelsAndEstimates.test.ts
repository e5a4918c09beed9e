import assert from 'node:assert/strict';
import { z } from 'zod';
import * as cl100k from 'gpt-tokenizer/encoding/cl100k_base';
import * as o200k from 'gpt-tokenizer/encoding/o200k_base';
import { estimateInputTokens, estimateTextTokens } from '../../../src/core/providers/estimateTokens';
import { isModelResolutionError, MODEL_ALIASES, resolveModel } from '../../../src/core/providers/modelAliases';
import { createProvider } from '../../../src/core/providers/providerFactory';

describe('providers: model aliases', () => {
  it('maps the model aliases to current ids, case-insensitively', () => {
    assert.equal(resolveModel('anthropic', 'sonnet'), MODEL_ALIASES.anthropic.sonnet);
    assert.match(resolveModel('anthropic', 'Opus'), /^claude-opus-/);
    assert.match(resolveModel('anthropic', 'haiku'), /^claude-haiku-/);
    assert.equal(resolveModel('openai', 'gpt4o'), 'gpt-4o');
    assert.equal(resolveModel('openai', 'gpt4o-mini'), 'gpt-4o-mini');
    assert.equal(resolveModel('openai', 'gpt4.1'), 'gpt-4.1');
    assert.equal(resolveModel('openai', 'o4-mini'), 'o4-mini');
    assert.equal(resolveModel('ollama', 'llama3'), 'llama3.1');
  });

  it('passes full ids through untouched', () => {
    assert.equal(resolveModel('anthropic', 'claude-3-5-haiku-20241022'), 'claude-3-5-haiku-20241022');
    assert.equal(resolveModel('ollama', 'qwen2.5-coder:7b'), 'qwen2.5-coder:7b');
  });

  it("refuses another provider's alias and an empty name, saying what to do", () => {
    assert.throws(() => resolveModel('openai', 'sonnet'), (e) => isModelResolutionError(e) && /alias of anthropic.*provider: anthropic/.test(e.message));
    assert.throws(() => resolveModel('ollama', '  '), (e) => isModelResolutionError(e) && /no model given/.test(e.message));
  });
});

describe('providers: input token estimate (an upper bound for any script)', () => {
  it('counts one token per UTF-8 byte', () => {
    assert.equal(estimateTextTokens(''), 0);
    assert.equal(estimateTextTokens('abcd'), 4);
    assert.equal(estimateTextTokens('日本'), 6);
  });

  it('adds framing per message and per tool, and the tool schema size', () => {
    const base = { system: '', messages: [], tools: [] };
    assert.equal(estimateInputTokens(base), 3);
    const oneMessage = estimateInputTokens({ ...base, messages: [{ role: 'user', text: 'x'.repeat(400) }] });
    assert.equal(oneMessage, 3 + 4 + 400);
    const tool = { name: 'read', description: 'Read a file.', parameters: z.object({ path: z.string() }) };
    const withTool = estimateInputTokens({ ...base, tools: [tool] });
    const { $schema: _s, ...schema } = z.toJSONSchema(tool.parameters, { io: 'input' }) as Record<string, unknown>;
    assert.equal(withTool, 3 + 8 + Buffer.byteLength('read' + 'Read a file.' + JSON.stringify(schema)));
  });

  it('counts tool calls and tool results in the history', () => {
    const small = estimateInputTokens({ system: 's', messages: [{ role: 'tool', results: [{ callId: 'a', toolName: 'read', content: '', isError: false }] }], tools: [] });
    const big = estimateInputTokens({ system: 's', messages: [{ role: 'tool', results: [{ callId: 'a', toolName: 'read', content: 'y'.repeat(4000), isError: false }] }], tools: [] });
    assert.equal(big - small, 4000);
  });

  // A real tokenizer (OpenAI's o200k and cl100k) must never find more tokens than the estimate, whatever the
  // script: the old rule of 4 characters per token undercounted Japanese more than twice over.
  it('bounds what a real tokenizer counts for Japanese, Chinese, code, JSON, emoji and random bytes', () => {
    const samples = {
      japanese: '吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。'.repeat(20),
      chinese: '天地玄黄，宇宙洪荒。日月盈昃，辰宿列张。'.repeat(20),
      code: 'function f(a: number[]): number { return a.reduce((x, y) => x + y, 0) >>> 0; }\n'.repeat(30),
      json: JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ id: i, k: `v${i}`, ok: i % 2 === 0, n: null }))),
      emoji: '🙂🚀✨👩‍💻🇯🇵'.repeat(40),
      noise: Array.from({ length: 2000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 94))).join(''),
    };
    for (const [name, text] of Object.entries(samples)) {
      for (const tokenizer of [o200k, cl100k]) {
        const real = tokenizer.encode(text).length;
        assert.ok(estimateTextTokens(text) >= real, `${name}: estimate ${estimateTextTokens(text)} < ${real} real tokens`);
      }
    }
    const old = (t: string) => Math.ceil(t.length / 4);
    assert.ok(old(samples.japanese) < o200k.encode(samples.japanese).length, 'the old rule undercounts Japanese (this test can fail)');
  });
});

describe('providers: createProvider', () => {
  it('takes the endpoint from the SDK environment variable first, then config, then the default', () => {
    assert.equal(createProvider('anthropic', { baseUrl: 'http://127.0.0.1:9000/', env: { ANTHROPIC_BASE_URL: 'http://other' } }).endpoint, 'http://other');
    assert.equal(createProvider('anthropic', { baseUrl: 'http://127.0.0.1:9000/', env: {} }).endpoint, 'http://127.0.0.1:9000');
    assert.equal(createProvider('openai', { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9000/v1' } }).endpoint, 'http://127.0.0.1:9000/v1');
    assert.equal(createProvider('ollama', { env: { OLLAMA_HOST: '0.0.0.0:11434' } }).endpoint, 'http://127.0.0.1:11434');
    assert.equal(createProvider('anthropic', { env: {} }).endpoint, 'https://api.anthropic.com');
    assert.equal(createProvider('ollama', { env: {} }).kind, 'ollama');
  });

  it('rejects a base URL that is not a URL, naming where it came from', () => {
    assert.throws(() => createProvider('openai', { baseUrl: 'not a url', env: {} }), /providers\.openai\.base_url is not a valid URL/);
    assert.throws(() => createProvider('anthropic', { env: { ANTHROPIC_BASE_URL: '::' } }), /ANTHROPIC_BASE_URL is not a valid URL/);
  });
});
