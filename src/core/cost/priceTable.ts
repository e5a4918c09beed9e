import type { ProviderKind, Settings } from '../config/schema';
import type { Usage } from '../providers/types';

/** USD per million tokens. */
export interface ModelPrice {
  readonly input: number;
  readonly output: number;
  /** Prompt-cache reads (Anthropic 0.1× input; OpenAI 0.1–0.5× depending on the model). */
  readonly cacheRead: number;
  /** Prompt-cache writes (Anthropic 5-minute cache: 1.25× input; OpenAI does not charge extra). */
  readonly cacheWrite: number;
}

/**
 * Where a price came from: the user's `settings.prices`, this table, a family estimate for a model id
 * this table does not list yet (say, a new dated Sonnet), free (Ollama), or unknown (the most
 * expensive price of that provider, so a budget errs on the safe side).
 */
export type PriceSource = 'override' | 'table' | 'family' | 'free' | 'unknown';

export interface PriceLookup {
  readonly price: ModelPrice;
  readonly source: PriceSource;
  /** The table row or family that matched. */
  readonly matched: string;
}

const anthropic = (input: number, output: number): ModelPrice => ({ input, output, cacheRead: input * 0.1, cacheWrite: input * 1.25 });
const openai = (input: number, output: number, cacheRead: number): ModelPrice => ({ input, output, cacheRead, cacheWrite: input });

/** Published list prices (USD / million tokens) of the current models. Dated ids match their base id. */
const TABLE: Readonly<Record<ProviderKind, Readonly<Record<string, ModelPrice>>>> = {
  anthropic: {
    'claude-opus-4-5': anthropic(5, 25),
    'claude-opus-4-1': anthropic(15, 75),
    'claude-opus-4-0': anthropic(15, 75),
    'claude-opus-4': anthropic(15, 75),
    'claude-sonnet-4-5': anthropic(3, 15),
    'claude-sonnet-4-0': anthropic(3, 15),
    'claude-sonnet-4': anthropic(3, 15),
    'claude-haiku-4-5': anthropic(1, 5),
    'claude-3-7-sonnet': anthropic(3, 15),
    'claude-3-5-haiku': anthropic(0.8, 4),
  },
  openai: {
    'gpt-4o': openai(2.5, 10, 1.25),
    'gpt-4o-mini': openai(0.15, 0.6, 0.075),
    'gpt-4.1': openai(2, 8, 0.5),
    'gpt-4.1-mini': openai(0.4, 1.6, 0.1),
    'gpt-4.1-nano': openai(0.1, 0.4, 0.025),
    'gpt-5': openai(1.25, 10, 0.125),
    'gpt-5-mini': openai(0.25, 2, 0.025),
    'gpt-5-nano': openai(0.05, 0.4, 0.005),
    o1: openai(15, 60, 7.5),
    o3: openai(2, 8, 0.5),
    'o3-mini': openai(1.1, 4.4, 0.55),
    'o4-mini': openai(1.1, 4.4, 0.275),
  },
  ollama: {},
};

/** Newer ids of a known family are priced like the family until the table (or `settings.prices`) lists them. */
const FAMILIES: Readonly<Record<ProviderKind, ReadonlyArray<readonly [RegExp, string, ModelPrice]>>> = {
  anthropic: [
    [/^claude-haiku-/, 'claude-haiku-*', anthropic(1, 5)],
    [/^claude-sonnet-/, 'claude-sonnet-*', anthropic(3, 15)],
    [/^claude-opus-/, 'claude-opus-*', anthropic(5, 25)],
  ],
  openai: [
    [/^gpt-5[.\d]*-nano/, 'gpt-5*-nano', openai(0.05, 0.4, 0.005)],
    [/^gpt-5[.\d]*-mini/, 'gpt-5*-mini', openai(0.25, 2, 0.025)],
    [/^gpt-5[.\d]*(-|$)/, 'gpt-5*', openai(1.25, 10, 0.125)],
    [/^o\d-mini/, 'o*-mini', openai(1.1, 4.4, 0.275)],
  ],
  ollama: [],
};

/** Unknown models: the provider's most expensive list price, so an unknown model never slips past a budget. */
const UNKNOWN: Readonly<Record<ProviderKind, ModelPrice>> = {
  anthropic: anthropic(15, 75),
  openai: openai(15, 60, 7.5),
  ollama: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
};

/** Prices per model, with `settings.prices` (by full model id) taking precedence. */
export class PriceTable {
  constructor(private readonly overrides: Settings['prices'] = {}) {}

  lookup(provider: ProviderKind, model: string): PriceLookup {
    const override = this.overrides[model];
    if (override) {
      return {
        price: { input: override.input, output: override.output, cacheRead: override.cache_read ?? override.input, cacheWrite: override.cache_write ?? override.input },
        source: 'override',
        matched: model,
      };
    }
    if (provider === 'ollama') return { price: UNKNOWN.ollama, source: 'free', matched: 'ollama' };
    const table = TABLE[provider];
    const base = model.replace(/-\d{8}$/, '').replace(/-\d{4}-\d{2}-\d{2}$/, '');
    const row = table[model] ?? table[base];
    if (row) return { price: row, source: 'table', matched: table[model] ? model : base };
    for (const [pattern, family, price] of FAMILIES[provider]) {
      if (pattern.test(base)) return { price, source: 'family', matched: family };
    }
    return { price: UNKNOWN[provider], source: 'unknown', matched: `${provider} (unknown model)` };
  }

  /** The cost in USD of one call from the usage the provider reported. */
  cost(provider: ProviderKind, model: string, usage: Usage): number {
    return costOf(this.lookup(provider, model).price, usage);
  }
}

/**
 * Usage follows the providers' convention: `inputTokens` are the input tokens billed at the full
 * price (Anthropic's `input_tokens`; OpenAI's prompt tokens minus the cached ones), cache reads and
 * writes are billed at their own rates.
 */
export function costOf(price: ModelPrice, usage: Usage): number {
  return (usage.inputTokens * price.input + usage.outputTokens * price.output + usage.cacheReadTokens * price.cacheRead + usage.cacheCreationTokens * price.cacheWrite) / 1_000_000;
}
