import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { ProviderKind } from '../config/schema';
import { BreakerStore } from './breakerStore';
import type { BreakerSnapshot } from './circuitBreaker';
import { ProviderPolicy, type ProviderPolicySettings, type ProviderPolicyStats } from './providerPolicy';
import { systemClock, type Clock } from './timers';

export interface PolicyRegistryOptions {
  readonly settings: ProviderPolicySettings;
  readonly events: Emitter<CoreEvent>;
  /** `StoreLayout.breakers`; omit to keep breaker state in memory only (tests). */
  readonly breakerFile?: string;
  readonly clock?: Clock;
  /**
   * Breaker state that could not be read or written. Defaults to re-throwing asynchronously so the
   * failure is reported, never swallowed.
   */
  readonly onStoreError?: (err: Error) => void;
}

/** The policy key: `anthropic@https://api.anthropic.com` — one per provider endpoint. */
export function policyKey(kind: ProviderKind, endpoint: string): string {
  return `${kind}@${endpoint.replace(/\/+$/, '')}`;
}

/**
 * Every provider policy in the process, shared by all agents and concurrent runs. Breaker state is
 * loaded from the store when the registry opens and written back on every transition.
 */
export class PolicyRegistry {
  private readonly policies = new Map<string, ProviderPolicy>();
  private readonly store: BreakerStore | undefined;
  private readonly clock: Clock;
  private settings: ProviderPolicySettings;
  private readonly onStoreError: (err: Error) => void;

  private constructor(private readonly options: PolicyRegistryOptions) {
    this.clock = options.clock ?? systemClock;
    this.settings = options.settings;
    this.store = options.breakerFile === undefined ? undefined : new BreakerStore(options.breakerFile);
    this.onStoreError = options.onStoreError ?? ((err) => queueMicrotask(() => { throw err; }));
  }

  /** Opens the registry, restoring every persisted breaker (an open one keeps failing fast). */
  static async open(options: PolicyRegistryOptions): Promise<PolicyRegistry> {
    const registry = new PolicyRegistry(options);
    if (registry.store) {
      const loaded = await registry.store.load();
      if (!loaded.ok) registry.onStoreError(loaded.error);
      for (const [name, snapshot] of loaded.breakers) registry.policyByName(name).breaker.restore(snapshot);
    }
    return registry;
  }

  /**
   * Takes breaker state that other processes sharing the store (CLI invocations, another window) wrote since
   * we last looked: reads the file only when its modification time or size changed. Cheap enough to call
   * before every model call.
   */
  async refreshFromStore(): Promise<void> {
    if (!this.store) return;
    const changed = await this.store.changedSinceLastLook();
    if (!changed) return;
    const loaded = await this.store.load();
    if (!loaded.ok) {
      this.onStoreError(loaded.error);
      return;
    }
    for (const [name, snapshot] of loaded.breakers) this.policyByName(name).breaker.adopt(snapshot);
  }

  /** The shared policy for a provider endpoint, created on first use. */
  policyFor(kind: ProviderKind, endpoint: string): ProviderPolicy {
    return this.policyByName(policyKey(kind, endpoint));
  }

  get(name: string): ProviderPolicy | undefined {
    return this.policies.get(name);
  }

  names(): string[] {
    return [...this.policies.keys()];
  }

  /** Manual reset of one breaker (by policy key); false if there is no such policy. */
  reset(name: string): boolean {
    const policy = this.policies.get(name);
    if (!policy) return false;
    policy.breaker.reset();
    return true;
  }

  /** Applies new settings (config reload) to every policy. */
  reconfigure(settings: ProviderPolicySettings): void {
    this.settings = settings;
    for (const policy of this.policies.values()) policy.reconfigure(settings);
  }

  stats(): ProviderPolicyStats[] {
    return [...this.policies.values()].map((p) => p.stats());
  }

  /** Resolves when every breaker transition so far is on disk. */
  async flush(): Promise<void> {
    await this.store?.flush();
  }

  dispose(): void {
    for (const policy of this.policies.values()) policy.dispose();
  }

  private policyByName(name: string): ProviderPolicy {
    let policy = this.policies.get(name);
    if (!policy) {
      policy = new ProviderPolicy(name, this.settings, this.options.events, this.clock, (n, snapshot) => this.persist(n, snapshot));
      this.policies.set(name, policy);
    }
    return policy;
  }

  private persist(name: string, snapshot: BreakerSnapshot): void {
    this.store?.save(name, snapshot).catch((err: unknown) => {
      this.onStoreError(new Error(`Could not save the state of breaker ${name}`, { cause: err }));
    });
  }
}
