import * as assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { environmentKeys } from '../../../src/core/providers/environmentKeys';
import { extensionKeys, secretStorageKeys } from '../../../src/extension/secretStorageKeys';
import { SecretStorageSource } from '../../../src/extension/secretStorageSource';

/** VS Code's SecretStorage as a map (get/store/delete are all the extension uses). */
function memorySecrets(initial: Record<string, string> = {}): vscode.SecretStorage {
  const map = new Map(Object.entries(initial));
  return {
    get: async (k: string) => map.get(k),
    store: async (k: string, v: string) => void map.set(k, v),
    delete: async (k: string) => void map.delete(k),
    keys: async () => [...map.keys()],
    onDidChange: () => ({ dispose() {} }),
  } as vscode.SecretStorage;
}

describe('extension: SecretStorage keys, each for its origin', () => {
  it('a key saved before keys had an origin keeps working, for the official origin only', async () => {
    const keys = secretStorageKeys(new SecretStorageSource(memorySecrets({ 'breakwater.apiKey.anthropic': 'sk-old' })));
    assert.deepEqual(await keys.getApiKey('anthropic', 'https://api.anthropic.com'), { kind: 'bound', key: { value: 'sk-old', origin: 'https://api.anthropic.com', source: 'SecretStorage' } });
    const elsewhere = await keys.getApiKey('anthropic', 'http://127.0.0.1:9');
    assert.ok(elsewhere.kind === 'elsewhere');
    assert.deepEqual(elsewhere.keys, [{ origin: 'https://api.anthropic.com', source: 'SecretStorage' }]);
    assert.match(elsewhere.howToAllow, /Breakwater: Set API Key", choose anthropic and enter http:\/\/127\.0\.0\.1:9/);
    assert.deepEqual(await keys.getApiKey('openai', 'https://api.openai.com'), { kind: 'none' });
  });

  it('Set API Key for an address: used there and nowhere else; removing it leaves the others', async () => {
    const storage = new SecretStorageSource(memorySecrets());
    const keys = secretStorageKeys(storage);
    await storage.setApiKey('openai', 'sk-local', 'http://127.0.0.1:8000');
    await storage.setApiKey('openai', 'sk-official');
    assert.equal(((await keys.getApiKey('openai', 'http://127.0.0.1:8000')) as { key: { value: string } }).key.value, 'sk-local');
    assert.equal(((await keys.getApiKey('openai', 'https://api.openai.com')) as { key: { value: string } }).key.value, 'sk-official');
    const other = await keys.getApiKey('openai', 'http://127.0.0.1:9999');
    assert.ok(other.kind === 'elsewhere');
    assert.deepEqual(other.keys.map((k) => k.origin).sort(), ['http://127.0.0.1:8000', 'https://api.openai.com']);
    await storage.deleteApiKey('openai', 'http://127.0.0.1:8000');
    assert.deepEqual(await storage.storedOrigins('openai'), []);
    assert.equal((await keys.getApiKey('openai', 'http://127.0.0.1:8000')).kind, 'elsewhere');
  });

  it('the extension host environment is used when SecretStorage has none, only while the window is trusted', async () => {
    const storage = new SecretStorageSource(memorySecrets());
    let trusted = true;
    const keys = extensionKeys(storage, () => (trusted ? environmentKeys({ ANTHROPIC_API_KEY: 'sk-env' }) : undefined));
    assert.deepEqual(await keys.getApiKey('anthropic', 'https://api.anthropic.com'), { kind: 'bound', key: { value: 'sk-env', origin: 'https://api.anthropic.com', source: 'the environment (ANTHROPIC_API_KEY)' } });
    await storage.setApiKey('anthropic', 'sk-stored');
    assert.equal(((await keys.getApiKey('anthropic', 'https://api.anthropic.com')) as { key: { source: string } }).key.source, 'SecretStorage');
    await storage.deleteApiKey('anthropic');
    trusted = false;
    assert.deepEqual(await keys.getApiKey('anthropic', 'https://api.anthropic.com'), { kind: 'none' });
  });
});
