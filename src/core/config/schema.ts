import { z } from 'zod';
import { READ_ONLY_TOOLS, TOOL_NAMES, type ToolName } from '../tools/registry';

/**
 * The typed form of `.breakwater/agents.yaml` (README, "Configuration"). One source of truth: the loader
 * validates with it, the types come from `z.infer`, and the JSON Schema shipped for editors is
 * generated from it. Objects are strict so a misspelt key is reported, not silently ignored.
 */

export const PROVIDER_KINDS = ['anthropic', 'openai', 'ollama'] as const;
export const providerKindSchema = z.enum(PROVIDER_KINDS);
export type ProviderKind = z.infer<typeof providerKindSchema>;

/** Every tool the model can be given (the tools' registry is their one source). */
export { READ_ONLY_TOOLS, TOOL_NAMES, type ToolName };
export const toolNameSchema = z.enum(TOOL_NAMES);

const usd = z.number().nonnegative();

/**
 * Why a config field is **sensitive**: from a workspace file (a cloned repository) it could steer a key, a
 * command or a protection, so its workspace value takes effect only after the user confirms that exact
 * value for that folder (README, "Workspace configuration and trust"), and never in Restricted Mode. User-scope values need no
 * confirmation.
 * - `endpoint`: where a key or a prompt is sent (a provider's base URL, an MCP server's command or URL, the
 *   shared-state server);
 * - `protection`: turns a protection off or changes what it guards (sandbox, host-key checks, ssh targets);
 * - `widening`: a list that narrows by default; only a value that admits more than the user scope already
 *   does needs confirming;
 * - `money`: changes what is charged against a budget.
 */
export type SensitiveKind = 'endpoint' | 'protection' | 'widening' | 'money';
export interface SensitiveMeta {
  readonly kind: SensitiveKind;
  /** What the value would let a repository do, in words the confirmation shows. */
  readonly why: string;
  /**
   * Values only the user scope may set: a workspace file with one of them is refused with a config error, and no
   * confirmation can lift that (`settings.sandbox.mode: off`).
   */
  readonly userOnly?: readonly unknown[];
}
/** The one list of sensitive fields: the schema nodes registered here (walk `configSchema` to find them). */
export const sensitiveFields = z.registry<SensitiveMeta>();
/** Marks a schema node as sensitive (see `SensitiveMeta`); returns the same node. */
export function sensitive<T extends z.ZodType>(schema: T, kind: SensitiveKind, why: string, options: { readonly userOnly?: readonly unknown[] } = {}): T {
  sensitiveFields.add(schema, { kind, why, ...(options.userOnly ? { userOnly: options.userOnly } : {}) });
  return schema;
}

/**
 * How a value set in both scopes combines when it only narrows (README, "Workspace configuration and trust"): a workspace file may make
 * these stricter than the user's own file, never looser, and needs no confirmation to do so.
 * - `union`: both lists apply (`denied_commands`);
 * - `subset`: a list where empty means "anything"; the workspace keeps only what the user's list allows
 *   (`allowed_commands`, whose widening part is sensitive; `agents.*.allowed_commands`);
 * - `subset_domain`: the same for domains, where `api.example.com` is within `example.com` (`http_allowed_domains`);
 * - `min`: the lower cap wins, `null` meaning none (`budget_usd`).
 */
export type CombineRule = 'union' | 'subset' | 'subset_domain' | 'min';
/** Schema nodes that combine across scopes instead of the user's value simply winning (walk the schema to find them). */
export const combinedFields = z.registry<{ readonly combine: CombineRule }>();
/** Marks a schema node with its `CombineRule`; returns the same node. */
export function narrowing<T extends z.ZodType>(schema: T, combine: CombineRule): T {
  combinedFields.add(schema, { combine });
  return schema;
}

export const settingsSchema = z.strictObject({
  default_provider: providerKindSchema.default('anthropic'),
  /** Alias (`sonnet`, `gpt4o`, `llama3`…) or a full model id. */
  default_model: z.string().min(1).default('sonnet'),
  /** Seconds allowed for one provider call. */
  timeout: z.number().positive().default(300),
  max_tool_iterations: z.number().int().positive().default(10),
  /** Keep every file path inside the workspace folders (a hard block, not an approval). */
  sandbox_paths: sensitive(z.boolean(), 'protection', 'turns off the rule that keeps file paths inside the workspace').default(true),
  /** The OS sandbox around every command an agent starts (bubblewrap on Linux, Seatbelt on macOS). */
  sandbox: sensitive(
    z.strictObject({
      /**
       * `auto` (default): sandboxed where a sandbox can start, else every command asks every time and `--yes`
       * never covers it; `required`: commands refuse to run without a sandbox; `off`: no OS sandbox (user scope only).
       */
      mode: sensitive(z.enum(['auto', 'required', 'off']), 'protection', 'turns the OS sandbox off', { userOnly: ['off'] }).default('auto'),
      /** Hosts (`example.com`, `*.example.com`, `host:port`) sandboxed commands may reach; none by default. */
      network_allow: z.array(z.string().min(1)).default([]),
    }),
    'protection',
    'changes the OS sandbox around commands (turning it off, or letting commands reach the network)',
  ).default({ mode: 'auto', network_allow: [] }),
  /** If non-empty, only these programs may run in `bash`/`ssh`. */
  allowed_commands: narrowing(sensitive(z.array(z.string().min(1)), 'widening', 'lets more programs run than your own settings allow'), 'subset').default([]),
  /** Programs that never run in `bash`/`ssh`. */
  denied_commands: narrowing(z.array(z.string().min(1)), 'union').default([]),
  /** Requests per minute per provider endpoint, shared by every agent and run. */
  rate_limit_per_minute: z.number().int().positive().default(60),
  /** Optional tokens per minute per provider endpoint (input + output, estimated before the call). */
  tokens_per_minute: z.number().int().positive().nullable().default(null),
  /** Retries after the first attempt for transient provider errors. */
  max_retries: z.number().int().nonnegative().default(3),
  /** Seconds: the base of the exponential backoff. */
  retry_delay: z.number().nonnegative().default(1.0),
  enable_circuit_breaker: z.boolean().default(true),
  /** Consecutive transient failures that open a provider's breaker. */
  circuit_breaker_threshold: z.number().int().positive().default(5),
  /** Seconds an open provider breaker waits before letting one probe through. */
  circuit_breaker_timeout: z.number().positive().default(30),
  /** Consecutive failures that open a tool's breaker. */
  tool_breaker_threshold: z.number().int().positive().default(3),
  /** Seconds an open tool breaker waits before a probe (300 s by default). */
  tool_breaker_timeout: z.number().positive().default(300),
  /** Hard cap in USD for the whole workspace, across runs; a warning at 80 %. */
  budget_usd: narrowing(usd.nullable(), 'min').default(null),
  /** `ssh` checks host keys strictly unless this is false. */
  ssh_strict_host_checking: sensitive(z.boolean(), 'protection', 'turns off ssh host-key checking').default(true),
  /** If non-empty, `http_request` may contact only these domains (and their subdomains). Narrows; never auto-approves. */
  http_allowed_domains: narrowing(z.array(z.string().min(1)), 'subset_domain').default([]),
  /** Same tool with the same arguments this many times in a row stops the run. */
  loop_guard_repeats: z.number().int().min(2).default(3),
  /** Price overrides in USD per million tokens, by full model id. */
  prices: sensitive(
    z.record(
      z.string(),
      z.strictObject({
        input: usd,
        output: usd,
        cache_read: usd.optional(),
        cache_write: usd.optional(),
      }),
    ),
    'money',
    'changes what each call is charged against your budget',
  ).default({}),
});
export type Settings = z.infer<typeof settingsSchema>;

const endpoint = (who: string) => sensitive(z.url(), 'endpoint', `sends your ${who} requests (and key) to this address`);
export const providersSchema = z.strictObject({
  anthropic: z.strictObject({ base_url: endpoint('Anthropic').optional() }).optional(),
  openai: z.strictObject({ base_url: endpoint('OpenAI').optional() }).optional(),
  ollama: z.strictObject({ host: endpoint('Ollama').optional() }).optional(),
});
export type ProvidersConfig = z.infer<typeof providersSchema>;

export const serverSchema = z.strictObject({
  host: z.string().min(1),
  user: z.string().min(1).default('root'),
  key: z.string().min(1).optional(),
  port: z.number().int().min(1).max(65535).default(22),
  description: z.string().optional(),
});
export type ServerConfig = z.infer<typeof serverSchema>;

export const FALLBACK_STRATEGIES = ['cache', 'degrade', 'escalate', 'decompose'] as const;

export const fallbackSchema = z
  .strictObject({
    strategy: z.enum(FALLBACK_STRATEGIES),
    /** degrade: the cheaper agent to answer instead. */
    agent: z.string().min(1).optional(),
    /** degrade: or a cheaper model on the same provider. */
    model: z.string().min(1).optional(),
    /** cache: seconds a cached answer stays usable (default one hour). */
    max_age: z.number().positive().default(3600),
    /** decompose: at most this many parts. */
    max_parts: z.number().int().min(2).max(20).default(4),
  })
  .refine((f) => f.strategy !== 'degrade' || f.agent !== undefined || f.model !== undefined, {
    message: 'a degrade fallback needs `agent` or `model` to fall back to',
  });
export type FallbackConfig = z.infer<typeof fallbackSchema>;

export const agentSchema = z.strictObject({
  role: z.string().default('You are a helpful assistant.'),
  /** Defaults to `settings.default_provider`. */
  provider: providerKindSchema.optional(),
  /** Alias or full id; defaults to `settings.default_model`. */
  model: z.string().min(1).optional(),
  tools: z.array(toolNameSchema).default(() => [...READ_ONLY_TOOLS]),
  /** Names from `servers` this agent may reach with `ssh`. */
  servers: z.array(z.string().min(1)).default([]),
  max_turns: z.number().int().positive().default(10),
  max_tokens: z.number().int().positive().default(4096),
  temperature: z.number().min(0).max(2).optional(),
  /** Cap in USD for this agent across runs (its delegates count against it). */
  budget_usd: narrowing(usd.nullable(), 'min').default(null),
  fallback: fallbackSchema.optional(),
  /** Agents this one may ask with the `delegate` tool; none when absent. */
  delegates: z.array(z.string().min(1)).default([]),
  /** Narrow the workspace command policy for this agent only. */
  allowed_commands: narrowing(z.array(z.string().min(1)), 'subset').optional(),
  denied_commands: narrowing(z.array(z.string().min(1)), 'union').default([]),
});
export type AgentConfig = z.infer<typeof agentSchema>;

export const taskSchema = z.strictObject({
  description: z.string().default(''),
  steps: z.array(z.strictObject({ agent: z.string().min(1), prompt: z.string().min(1) })).min(1),
});
export type TaskConfig = z.infer<typeof taskSchema>;

/**
 * Where limits, breakers and budgets shared by every process live: the store folder (`file`, default) or a
 * Redis server shared across machines (`redis`, with `url` or `BREAKWATER_STATE_URL`).
 */
export const stateSchema = z.strictObject({
  backend: z.enum(['file', 'redis']).default('file'),
  /** `redis://[user:password@]host:port[/db]`; `BREAKWATER_STATE_URL` overrides it. */
  url: z.string().min(1).optional(),
  /** Redis unreachable: `fail` (default) stops the run with a clear message; `local` falls back to the store folder. */
  on_unavailable: z.enum(['fail', 'local']).default('fail'),
});
export type StateConfig = z.infer<typeof stateSchema>;

/**
 * One agents file on its own (the user's or the workspace's): structure and types only. References between
 * agents, servers and tasks are checked on the merged config (`configSchema`), since either file may hold
 * what the other one names.
 */
export const configFileSchema = z.strictObject({
  settings: settingsSchema.default(() => settingsSchema.parse({})),
  state: sensitive(stateSchema, 'endpoint', 'sends your limits, breaker state and budget to this server').default({ backend: 'file', on_unavailable: 'fail' }),
  providers: providersSchema.default({}),
  servers: sensitive(z.record(z.string(), serverSchema), 'protection', 'adds ssh targets (host, user, key file, port) commands can reach').default({}),
  agents: z.record(z.string(), agentSchema).default({}),
  tasks: z.record(z.string(), taskSchema).default({}),
});

/** The effective config: `configFileSchema` plus the references between its parts. */
export const configSchema = configFileSchema.superRefine((cfg, ctx) => {
  for (const [name, agent] of Object.entries(cfg.agents)) {
    for (const [i, server] of agent.servers.entries()) {
      if (!(server in cfg.servers)) {
        ctx.addIssue({ code: 'custom', path: ['agents', name, 'servers', i], message: `server "${server}" is not defined under \`servers\`` });
      }
    }
    for (const [i, delegate] of agent.delegates.entries()) {
      if (!(delegate in cfg.agents)) {
        ctx.addIssue({ code: 'custom', path: ['agents', name, 'delegates', i], message: `delegate "${delegate}" is not defined under \`agents\`` });
      }
    }
    const fallbackAgent = agent.fallback?.agent;
    if (fallbackAgent !== undefined && !(fallbackAgent in cfg.agents)) {
      ctx.addIssue({ code: 'custom', path: ['agents', name, 'fallback', 'agent'], message: `fallback agent "${fallbackAgent}" is not defined under \`agents\`` });
    }
  }
  for (const [name, task] of Object.entries(cfg.tasks)) {
    for (const [i, step] of task.steps.entries()) {
      if (!(step.agent in cfg.agents)) {
        ctx.addIssue({ code: 'custom', path: ['tasks', name, 'steps', i, 'agent'], message: `agent "${step.agent}" is not defined under \`agents\`` });
      }
    }
  }
});
export type BreakwaterConfig = z.infer<typeof configSchema>;
/** The config as written in YAML, before defaults. */
export type BreakwaterConfigInput = z.input<typeof configSchema>;
