import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { createInterface } from 'node:readline';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import sinon from 'sinon';
import { startFakeLlm, type FakeLlm } from '../fixtures/fake-llm/index';

describe('fake LLM: queueing and defaults', () => {
  let fake: FakeLlm;
  before(async () => (fake = await startFakeLlm()));
  afterEach(() => fake.reset());
  after(() => fake.close());

  it('serves enqueueFor answers to their protocol before the shared queue', async () => {
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: fake.url, maxRetries: 0 });
    const openai = new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    fake.enqueue({ kind: 'reply', text: 'shared' });
    fake.enqueueFor('openai', { kind: 'reply', text: 'for openai' });
    const fromOpenai = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
    const fromAnthropic = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(fromOpenai.choices[0]?.message.content, 'for openai');
    assert.deepEqual(fromAnthropic.content[0], { type: 'text', text: 'shared' });
  });

  it('answers 500 "no scripted answer" when the queue is empty, and the default when one is set', async () => {
    const openai = new OpenAI({ apiKey: 'k', baseURL: fake.openaiBaseUrl, maxRetries: 0 });
    const error = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof OpenAI.InternalServerError);
    assert.match(error.message, /no scripted answer/);
    fake.setDefault({ kind: 'reply', text: 'always' });
    for (let i = 0; i < 2; i++) {
      const ok = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] });
      assert.equal(ok.choices[0]?.message.content, 'always');
    }
  });
});

describe('fake LLM: under fake timers', () => {
  let fake: FakeLlm;
  before(async () => (fake = await startFakeLlm()));
  after(() => fake.close());

  it('keeps pacing slow tokens with real time while a test fakes setTimeout, and stamps requests with the fake clock', async () => {
    const clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] });
    try {
      fake.enqueue({ kind: 'reply', text: 'paced by the real clock', tokenDelayMs: 2 });
      // node:http, not fetch: undici's own timers would be frozen by the fake clock, which is the client's problem.
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${fake.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (part: Buffer) => (text += part.toString('utf8')));
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'llama3.1', messages: [], stream: true }));
      });
      const lines = body.trim().split('\n').map((l) => JSON.parse(l) as { message: { content: string } });
      assert.equal(lines.map((l) => l.message.content).join(''), 'paced by the real clock');
      assert.equal(fake.requests[0]?.at, 1_000_000);
    } finally {
      clock.restore();
    }
  });
});

describe('fake LLM: separate process with the control API', () => {
  let child: ChildProcess;
  let url: string;
  before(async function () {
    this.timeout(30_000);
    child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/fake-llm/main.ts', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    url = await new Promise<string>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`fake-llm exited with ${code}`)));
      lines.on('line', (line) => {
        const match = /^FAKE_LLM_URL=(http:\/\/127\.0\.0\.1:\d+)$/.exec(line);
        if (match?.[1]) resolve(match[1]);
      });
    });
  });
  after(() => void child.kill('SIGTERM'));

  const post = (path: string, body: unknown) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('enqueues scripts, records requests and resets through HTTP', async () => {
    assert.equal((await post('/__control/enqueue', { protocol: 'anthropic', scripts: [{ kind: 'reply', text: 'from afar' }] })).status, 200);
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] });
    assert.deepEqual(message.content[0], { type: 'text', text: 'from afar' });
    const { requests } = (await (await fetch(`${url}/__control/requests`)).json()) as { requests: { path: string }[] };
    assert.deepEqual(requests.map((r) => r.path), ['/v1/messages']);
    await post('/__control/reset', {});
    const after = (await (await fetch(`${url}/__control/requests`)).json()) as { requests: unknown[] };
    assert.equal(after.requests.length, 0);
  });

  it('sets a default answer through HTTP', async () => {
    assert.equal((await post('/__control/default', { script: { kind: 'http_error', status: 529 } })).status, 200);
    const anthropic = new Anthropic({ apiKey: 'k', baseURL: url, maxRetries: 0 });
    const error = await anthropic.messages.create({ model: 'claude-sonnet-5-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    assert.ok(error instanceof Anthropic.APIError);
    assert.equal(error.status, 529);
    await post('/__control/default', { script: null });
  });

  it('rejects a malformed script with a 400 that says what is wrong', async () => {
    const response = await post('/__control/enqueue', { scripts: [{ kind: 'reply', tokenDelayMs: -1 }] });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /tokenDelayMs/);
  });
});
