import type * as vscode from 'vscode';
import type { ProviderKind } from '../core/index';

/**
 * Provider keys in VS Code's SecretStorage (the OS keychain), never in settings, each stored for the origin it was
 * given for: `breakwater.apiKey.<provider>` is the provider's official origin (where keys saved before keys had an
 * origin keep working), `breakwater.apiKey.<provider>@<origin>` any other. This is only the storage (it is loaded at
 * activation, without the core); `secretStorageKeys.ts` answers the core's lookups with it.
 */
export class SecretStorageSource {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The secret's name; `origin` undefined means the provider's official origin. */
  static keyName(provider: ProviderKind, origin?: string): string {
    return origin === undefined ? `breakwater.apiKey.${provider}` : `breakwater.apiKey.${provider}@${origin}`;
  }

  private static indexName(provider: ProviderKind): string {
    return `breakwater.apiKeyOrigins.${provider}`;
  }

  /** The key stored for `provider` at `origin` (undefined: the official origin's entry). */
  getStoredKey(provider: ProviderKind, origin?: string): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(SecretStorageSource.keyName(provider, origin)));
  }

  /** Origins other than the official one that have a key stored (for messages and Set API Key). */
  async storedOrigins(provider: ProviderKind): Promise<string[]> {
    const raw = await this.secrets.get(SecretStorageSource.indexName(provider));
    try {
      const list: unknown = raw === undefined ? [] : JSON.parse(raw);
      return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string') : [];
    } catch {
      return [];
    }
  }

  /** Stores `key` for `provider` at `origin` (undefined: the official origin). */
  async setApiKey(provider: ProviderKind, key: string, origin?: string): Promise<void> {
    await this.secrets.store(SecretStorageSource.keyName(provider, origin), key);
    if (origin !== undefined) await this.index(provider, (list) => [...new Set([...list, origin])]);
  }

  async deleteApiKey(provider: ProviderKind, origin?: string): Promise<void> {
    await this.secrets.delete(SecretStorageSource.keyName(provider, origin));
    if (origin !== undefined) await this.index(provider, (list) => list.filter((o) => o !== origin));
  }

  private async index(provider: ProviderKind, change: (list: string[]) => string[]): Promise<void> {
    await this.secrets.store(SecretStorageSource.indexName(provider), JSON.stringify(change(await this.storedOrigins(provider))));
  }
}
