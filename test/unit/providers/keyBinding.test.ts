import * as assert from 'node:assert/strict';
import type { ProviderKind } from '../../../src/core/config/schema';
import { environmentKeys } from '../../../src/core/providers/environmentKeys';
import { isProviderError } from '../../../src/core/providers/errors';
import { firstKeySource, fixedKeys, OFFICIAL_ORIGIN, originBoundFetch, withKeyGrants } from '../../../src/core/providers/keyBinding';
import { createProvider } from '../../../src/core/providers/providerFactory';
import type { SecretSource } from '../../../src/core/providers/types';
import { startAttacker, type Attacker } from '../../fixtures/attacker';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { drain, request } from './harness';
import { must } from '../../fixtures/must';

const MODEL: Record<ProviderKind, string> = { anthropic: 'claude-sonnet-5-5', openai: 'gpt-4o', ollama: 'llama3.1' };
/** The endpoint of `kind` at a server's base URL. */
const at = (kind: ProviderKind, url: string) => (kind === 'openai' ? `${url}/v1` : url);

describe('providers: a key goes only to the origin it was given for', function () {
  this.timeout(30_000);
  const llm = useFakeLlm();
  let attacker: Attacker;
  beforeEach(async () => {
    attacker = await startAttacker();
  });
  afterEach(() => attacker.close());

  describe('environment keys', () => {
    it('bind to the environment base URL, else to the official origin', async () => {
      const withBase = environmentKeys({ ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9000/' });
      assert.deepEqual(await withBase.getApiKey('anthropic', 'http://127.0.0.1:9000'), { kind: 'bound', key: { value: 'sk-env', origin: 'http://127.0.0.1:9000', source: 'the environment (ANTHROPIC_API_KEY)' } });
      const elsewhere = await withBase.getApiKey('anthropic', 'https://api.anthropic.com');
      assert.equal(elsewhere.kind, 'elsewhere');
      const official = environmentKeys({ OPENAI_API_KEY: ' sk-o ' });
      assert.deepEqual(await official.getApiKey('openai', 'https://api.openai.com'), { kind: 'bound', key: { value: 'sk-o', origin: 'https://api.openai.com', source: 'the environment (OPENAI_API_KEY)' } });
      const off = await official.getApiKey('openai', attacker.origin);
      assert.ok(off.kind === 'elsewhere' && must(off.keys[0], 'off.keys[0]').origin === 'https://api.openai.com' && /OPENAI_BASE_URL/.test(off.howToAllow));
      assert.deepEqual(await official.getApiKey('anthropic', 'https://api.anthropic.com'), { kind: 'none' });
      assert.deepEqual(await environmentKeys({ OLLAMA_API_KEY: 'x' }).getApiKey('ollama', OFFICIAL_ORIGIN.ollama), { kind: 'none' });
    });
  });

  for (const kind of ['anthropic', 'openai', 'ollama'] as const) {
    describe(kind, () => {
      const keyed = (origin: string) => fixedKeys([{ provider: kind, value: `sk-${kind}-SECRET`, origin, source: 'SecretStorage' }]);

      it('a key given for another origin is not sent: the call fails before any connection, saying which key would have gone where', async () => {
        const provider = createProvider(kind, { baseUrl: at(kind, attacker.url), secrets: keyed(OFFICIAL_ORIGIN[kind]), env: {} });
        const out = await drain(provider.stream(request(MODEL[kind])));
        assert.ok(out.error && isProviderError(out.error));
        assert.equal(out.error.kind, 'auth');
        assert.match(out.error.message, new RegExp(`your \\w+ key from SecretStorage \\(given for ${OFFICIAL_ORIGIN[kind].replace(/\./g, '\\.')}\\) would have gone to ${attacker.origin}`));
        assert.match(out.error.message, /Give the key for that origin/);
        assert.equal(attacker.connections, 0, attacker.describe());
      });

      it('the key given for the endpoint is sent there', async () => {
        llm.enqueue({ kind: 'reply', text: 'hello' });
        const provider = createProvider(kind, { baseUrl: at(kind, llm.url), secrets: keyed(llm.url), env: {} });
        const out = await drain(provider.stream(request(MODEL[kind])));
        assert.equal(out.error, undefined, out.error?.message);
        const headers = must(llm.requests[0], 'llm.requests[0]').headers;
        assert.ok(JSON.stringify(headers).includes(`sk-${kind}-SECRET`), JSON.stringify(headers));
      });

      it('a redirect is never followed: not with the key, not with the prompt', async () => {
        // The endpoint the key was given for redirects to the attacker (307 would resend the body).
        const redirecting = await startAttacker();
        try {
          redirecting.redirectTo(`${attacker.url}/steal`);
          const provider = createProvider(kind, { baseUrl: at(kind, redirecting.url), secrets: fixedKeys([{ provider: kind, value: 'sk-SECRET', origin: redirecting.url }]), env: {} });
          const out = await drain(provider.stream(request(MODEL[kind], { messages: [{ role: 'user', text: 'the secret prompt' }] })));
          assert.ok(out.error);
          assert.match(out.error.message, /redirect \(HTTP 307\) to http:\/\/127\.0\.0\.1:\d+\/steal; Breakwater never follows a redirect/);
          assert.equal(out.error.transient, false, 'not retried');
          assert.equal(redirecting.requests.length, 1);
          assert.equal(attacker.connections, 0, attacker.describe());
        } finally {
          await redirecting.close();
        }
      });
    });
  }

  it('the fetch of a provider refuses every other origin', async () => {
    const guarded = originBoundFetch('openai', 'http://127.0.0.1:1');
    await assert.rejects(guarded(`${attacker.url}/v1/chat/completions`, { method: 'POST', body: 'prompt' }), /refused to send a request to http:\/\/127\.0\.0\.1:\d+: this provider is bound to http:\/\/127\.0\.0\.1:1/);
    assert.equal(attacker.connections, 0);
  });

  it('a source that hands out a key for another origin is refused too', async () => {
    const lying: SecretSource = { getApiKey: async () => ({ kind: 'bound', key: { value: 'sk-lie', origin: 'https://api.anthropic.com', source: 'a buggy source' } }) };
    const out = await drain(createProvider('anthropic', { baseUrl: attacker.url, secrets: lying, env: {} }).stream(request(MODEL.anthropic)));
    assert.match(out.error?.message ?? '', /nothing was sent/);
    assert.equal(attacker.connections, 0);
  });

  it('the environment base URL wins over a config endpoint, and its key goes there', async () => {
    llm.enqueue({ kind: 'reply', text: 'ok' });
    const env = { ANTHROPIC_API_KEY: 'sk-env', ANTHROPIC_BASE_URL: llm.url };
    const provider = createProvider('anthropic', { baseUrl: attacker.url, secrets: environmentKeys(env), env });
    assert.equal(provider.endpoint, llm.url);
    const out = await drain(provider.stream(request(MODEL.anthropic)));
    assert.equal(out.error, undefined);
    assert.match(JSON.stringify(must(llm.requests[0], 'llm.requests[0]').headers), /sk-env/);
    assert.equal(attacker.connections, 0);
  });

  it('an endpoint the user confirmed may receive the key; nothing else does', async () => {
    llm.enqueue({ kind: 'reply', text: 'ok' });
    const env = { ANTHROPIC_API_KEY: 'sk-env' };
    const llmOrigin = new URL(llm.url).origin;
    const granted = withKeyGrants(environmentKeys(env), () => [{ provider: 'anthropic', origin: llmOrigin, because: 'providers.anthropic.base_url in agents.yaml' }]);
    const lookup = await granted.getApiKey('anthropic', llmOrigin);
    assert.ok(lookup.kind === 'bound' && lookup.key.value === 'sk-env' && /allowed for .* when you confirmed providers\.anthropic\.base_url/.test(lookup.key.source));
    assert.equal((await granted.getApiKey('anthropic', attacker.origin)).kind, 'elsewhere');
    const out = await drain(createProvider('anthropic', { baseUrl: llm.url, secrets: granted, env: {} }).stream(request(MODEL.anthropic)));
    assert.equal(out.error, undefined);
    assert.match(JSON.stringify(must(llm.requests[0], 'llm.requests[0]').headers), /sk-env/);
  });

  it('SecretStorage before the environment; every key elsewhere is named', async () => {
    const both = firstKeySource([fixedKeys([{ provider: 'openai', value: 'stored', origin: 'https://api.openai.com', source: 'SecretStorage' }]), environmentKeys({ OPENAI_API_KEY: 'env', OPENAI_BASE_URL: 'http://127.0.0.1:7/v1' })]);
    assert.equal(((await both.getApiKey('openai', 'https://api.openai.com')) as { key: { value: string } }).key.value, 'stored');
    assert.equal(((await both.getApiKey('openai', 'http://127.0.0.1:7')) as { key: { value: string } }).key.value, 'env');
    const nowhere = await both.getApiKey('openai', attacker.origin);
    assert.ok(nowhere.kind === 'elsewhere');
    assert.deepEqual(nowhere.keys.map((k) => k.origin), ['https://api.openai.com', 'http://127.0.0.1:7']);
  });
});
