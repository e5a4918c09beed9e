import type { ProviderKind } from '../config/schema';

/**
 * The one table of model aliases → current model ids, per provider. Aliases are
 * matched case-insensitively; anything that is not an alias is taken as a full model id and passed through,
 * so a new model works the day it ships without a release of this table.
 * Ids follow the model lists of the SDK versions pinned in package.json.
 */
export const MODEL_ALIASES: Readonly<Record<ProviderKind, Readonly<Record<string, string>>>> = {
  anthropic: {
    // @anthropic-ai/sdk 1.11 lists these as current and warns on every call to claude-sonnet-4-5 (deprecated).
    sonnet: 'claude-sonnet-5-5',
    opus: 'claude-opus-5-5',
    haiku: 'claude-haiku-5-5',
    claude: 'claude-sonnet-5-5',
    'sonnet-4.6': 'claude-sonnet-4-6',
    'opus-4.8': 'claude-opus-4-8',
    'haiku-4.5': 'claude-haiku-4-5',
  },
  openai: {
    gpt4o: 'gpt-4o',
    'gpt-4o': 'gpt-4o',
    'gpt4o-mini': 'gpt-4o-mini',
    'gpt4.1': 'gpt-4.1',
    'gpt4.1-mini': 'gpt-4.1-mini',
    'gpt4.1-nano': 'gpt-4.1-nano',
    gpt5: 'gpt-5.4',
    'gpt5-mini': 'gpt-5.4-mini',
    'gpt5-nano': 'gpt-5.4-nano',
    o3: 'o3',
    'o3-mini': 'o3-mini',
    'o4-mini': 'o4-mini',
  },
  ollama: {
    llama3: 'llama3.1',
    'llama3.1': 'llama3.1',
    'llama3.2': 'llama3.2',
    'llama3.3': 'llama3.3',
    qwen: 'qwen2.5',
    'qwen-coder': 'qwen2.5-coder',
    codellama: 'codellama',
    mistral: 'mistral',
    deepseek: 'deepseek-r1',
    gemma: 'gemma3',
  },
};

const brand = Symbol.for('breakwater.ModelResolutionError');

/** An alias of one provider used with another (`model: sonnet` on an `openai` agent). */
export class ModelResolutionError extends Error {
  readonly [brand] = true;
  constructor(
    message: string,
    readonly provider: ProviderKind,
    readonly model: string,
  ) {
    super(message);
    this.name = 'ModelResolutionError';
  }
}

export function isModelResolutionError(e: unknown): e is ModelResolutionError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/**
 * Alias or full id → the full model id for `provider`. Throws `ModelResolutionError` for an empty name or for
 * another provider's alias (a likely config mistake, said plainly rather than sent to the API as a model id).
 */
export function resolveModel(provider: ProviderKind, nameOrAlias: string): string {
  const name = nameOrAlias.trim();
  if (name === '') throw new ModelResolutionError(`no model given for ${provider}; set \`model\` to an alias or a full model id`, provider, nameOrAlias);
  const key = name.toLowerCase();
  const own = MODEL_ALIASES[provider][key];
  if (own !== undefined) return own;
  for (const [other, aliases] of Object.entries(MODEL_ALIASES) as [ProviderKind, Readonly<Record<string, string>>][]) {
    if (other !== provider && aliases[key] !== undefined && aliases[key] !== key) {
      const known = Object.keys(MODEL_ALIASES[provider]).join(', ');
      throw new ModelResolutionError(
        `"${name}" is a model alias of ${other}, but the provider is ${provider}; use one of ${provider}'s aliases (${known}) or a full model id, or set \`provider: ${other}\``,
        provider,
        nameOrAlias,
      );
    }
  }
  return name;
}
