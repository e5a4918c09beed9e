import type { Emitter } from '../common/event';
import type { CoreEvent } from '../common/coreEvents';
import type { Disposable } from '../common/lifecycle';
import type { ProviderKind } from '../config/schema';
import { MemoryState } from '../state/foldingState';
import type { SharedState } from '../state/sharedState';
import { ProviderPolicy, type ProviderPolicySettings, type ProviderPolicyStats } from './providerPolicy';
import { systemClock, type Clock } from './timers';

export interface PolicyRegistryOptions {
  readonly settings: ProviderPolicySettings;
  readonly events: Emitter<CoreEvent>;
  /** Limits, breakers and budgets shared with other processes; defaults to this process only (`MemoryState`). */
  readonly state?: SharedState;
  readonly clock?: Clock;
}

/** The policy key: `anthropic@https://api.anthropic.com` — one per provider endpoint. */
export function policyKey(kind: ProviderKind, endpoint: string): string {
  return `${kind}@${endpoint.replace(/\/+$/, '')}`;
}

const PROVIDER = 'p:';

/**
 * Every provider policy in the process, shared by all agents and concurrent runs, over the state shared with
 * every other process. Breaker transitions this process causes are announced (and audited); those other
 * processes cause are announced as `observed`, so views refresh without the audit ledger recording them twice.
 */
export class PolicyRegistry {
  private readonly policies = new Map<string, ProviderPolicy>();
  private readonly clock: Clock;
  private settings: ProviderPolicySettings;
  readonly state: SharedState;
  private readonly subscription: Disposable;

  private constructor(private readonly options: PolicyRegistryOptions) {
    this.clock = options.clock ?? systemClock;
    this.settings = options.settings;
    this.state = options.state ?? new MemoryState(this.clock);
    this.subscription = this.state.onTransition((t) => {
      if (!t.key.startsWith(PROVIDER)) return;
      const name = t.key.slice(PROVIDER.length);
      const retryAt = t.snap.state === 'open' ? t.snap.retryAt : undefined;
      const reason = t.reason ?? (t.snap.state === 'closed' ? undefined : t.snap.reason);
      options.events.fire({ type: 'breaker_transition', scope: 'provider', name, from: t.from, to: t.to, at: t.at, reason, retryAt, ...(t.own ? {} : { observed: true }) });
    });
  }

  static async open(options: PolicyRegistryOptions): Promise<PolicyRegistry> {
    return new PolicyRegistry(options);
  }

  /** The shared policy for a provider endpoint, created on first use. */
  policyFor(kind: ProviderKind, endpoint: string): ProviderPolicy {
    return this.policyByName(policyKey(kind, endpoint));
  }

  get(name: string): ProviderPolicy | undefined {
    return this.policies.get(name) ?? (this.knownShared().includes(name) ? this.policyByName(name) : undefined);
  }

  /** Endpoints used in this process or, as the shared state says, by any other. */
  names(): string[] {
    return [...new Set([...this.policies.keys(), ...this.knownShared()])];
  }

  /** Manual reset of one breaker (by policy key), for every process; false if no process ever used it. */
  async reset(name: string): Promise<boolean> {
    const policy = this.get(name);
    return policy === undefined ? false : policy.breaker.reset();
  }

  /** Applies new settings (config reload) to every policy. */
  reconfigure(settings: ProviderPolicySettings): void {
    this.settings = settings;
    for (const policy of this.policies.values()) policy.reconfigure(settings);
  }

  stats(): ProviderPolicyStats[] {
    return this.names().map((name) => this.policyByName(name).stats());
  }

  /** Kept for hosts that call it before exiting: every record is written when its operation returns. */
  async flush(): Promise<void> {}

  dispose(): void {
    this.subscription.dispose();
    for (const policy of this.policies.values()) policy.dispose();
  }

  private knownShared(): string[] {
    return Object.keys(this.state.view().breakers)
      .filter((k) => k.startsWith(PROVIDER))
      .map((k) => k.slice(PROVIDER.length));
  }

  private policyByName(name: string): ProviderPolicy {
    let policy = this.policies.get(name);
    if (!policy) {
      policy = new ProviderPolicy(name, this.settings, this.options.events, this.clock, this.state);
      this.policies.set(name, policy);
    }
    return policy;
  }
}
