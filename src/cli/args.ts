import { parseArgs } from 'node:util';

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'status' | 'agents' | 'health' | 'runs' }
  /** Show the workspace file's sensitive values and confirm them (`--yes`: all, without asking). */
  | { readonly kind: 'trust-config' }
  | { readonly kind: 'ask'; readonly agent: string; readonly prompt: string }
  | { readonly kind: 'all'; readonly prompt: string }
  | { readonly kind: 'task'; readonly task: string; readonly prompt?: string }
  | { readonly kind: 'resume'; readonly runId: string }
  | { readonly kind: 'approve'; readonly runId: string; readonly callId?: string }
  | { readonly kind: 'deny'; readonly runId: string; readonly callId?: string; readonly reason?: string }
  | { readonly kind: 'repair' | 'archive'; readonly runId: string };

export interface CliArgs {
  readonly command: CliCommand;
  readonly config?: string;
  readonly workspace?: string;
  readonly store?: string;
  readonly json: boolean;
  readonly yes: boolean;
}

/** A usage error: what was wrong and what to do. Exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const options = {
  config: { type: 'string' },
  workspace: { type: 'string' },
  store: { type: 'string' },
  json: { type: 'boolean' },
  yes: { type: 'boolean' },
  status: { type: 'boolean' },
  agents: { type: 'boolean' },
  health: { type: 'boolean' },
  runs: { type: 'boolean' },
  'trust-config': { type: 'boolean' },
  agent: { type: 'string' },
  prompt: { type: 'string' },
  all: { type: 'boolean' },
  task: { type: 'string' },
  resume: { type: 'string' },
  approve: { type: 'string' },
  deny: { type: 'string' },
  repair: { type: 'string' },
  archive: { type: 'string' },
  call: { type: 'string' },
  reason: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Parses the documented command line (README, "CLI") exactly; anything else is a `UsageError`. */
export function parseCliArgs(argv: readonly string[]): CliArgs {
  let values: ReturnType<typeof parseArgs<{ options: typeof options; strict: true; allowPositionals: false }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify .*$/s, '')}`);
  }
  const common = { json: values.json ?? false, yes: values.yes ?? false, ...(values.config ? { config: values.config } : {}), ...(values.workspace ? { workspace: values.workspace } : {}), ...(values.store ? { store: values.store } : {}) };
  for (const key of ['config', 'workspace', 'store', 'agent', 'prompt', 'task', 'resume', 'approve', 'deny', 'repair', 'archive', 'call', 'reason'] as const) {
    if (values[key] !== undefined && values[key].trim() === '') throw new UsageError(`--${key} needs a value`);
  }
  if (values.help) return { command: { kind: 'help' }, ...common };
  const modes = (['status', 'agents', 'health', 'runs', 'trust-config', 'agent', 'all', 'task', 'resume', 'approve', 'deny', 'repair', 'archive'] as const).filter((m) => values[m] !== undefined && values[m] !== false);
  const [mode] = modes;
  if (mode === undefined) throw new UsageError('say what to do: --agent NAME --prompt TEXT, --all, --task, --status, --agents, --health, --runs, --resume, --approve, --deny, --repair, --archive or --trust-config');
  if (modes.length > 1) throw new UsageError(`choose one of ${modes.map((m) => `--${m}`).join(', ')}; they cannot be combined`);
  const only = (allowed: readonly string[]) => {
    for (const k of ['prompt', 'call', 'reason'] as const) {
      if (values[k] !== undefined && !allowed.includes(k)) throw new UsageError(`--${k} does not apply to --${mode}`);
    }
  };
  switch (mode) {
    case 'status':
    case 'agents':
    case 'health':
    case 'runs':
    case 'trust-config':
      only([]);
      return { command: { kind: mode }, ...common };
    case 'agent':
      only(['prompt']);
      if (!values.prompt) throw new UsageError('--agent needs --prompt TEXT (what to ask the agent)');
      return { command: { kind: 'ask', agent: values.agent!, prompt: values.prompt }, ...common };
    case 'all':
      only(['prompt']);
      if (!values.prompt) throw new UsageError('--all needs --prompt TEXT (what to ask every agent)');
      return { command: { kind: 'all', prompt: values.prompt }, ...common };
    case 'task':
      only(['prompt']);
      return { command: { kind: 'task', task: values.task!, ...(values.prompt ? { prompt: values.prompt } : {}) }, ...common };
    case 'resume':
      only([]);
      return { command: { kind: 'resume', runId: values.resume! }, ...common };
    case 'approve':
      only(['call']);
      return { command: { kind: 'approve', runId: values.approve!, ...(values.call ? { callId: values.call } : {}) }, ...common };
    case 'deny':
      only(['call', 'reason']);
      return { command: { kind: 'deny', runId: values.deny!, ...(values.call ? { callId: values.call } : {}), ...(values.reason ? { reason: values.reason } : {}) }, ...common };
    case 'repair':
    case 'archive':
      only([]);
      return { command: { kind: mode, runId: values[mode]! }, ...common };
  }
}
