import * as vscode from 'vscode';
import type { ProviderKind } from '../core/config/schema';
import type { SecretSource } from '../core/providers/types';

/** Provider keys in VS Code's SecretStorage (the OS keychain), never in settings. */
export class SecretStorageSource implements SecretSource {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  static keyName(provider: ProviderKind): string {
    return `breakwater.apiKey.${provider}`;
  }

  getApiKey(provider: ProviderKind): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(SecretStorageSource.keyName(provider)));
  }

  async setApiKey(provider: ProviderKind, key: string): Promise<void> {
    await this.secrets.store(SecretStorageSource.keyName(provider), key);
  }

  async deleteApiKey(provider: ProviderKind): Promise<void> {
    await this.secrets.delete(SecretStorageSource.keyName(provider));
  }
}
