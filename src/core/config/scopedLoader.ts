import { ConfigError, formatPath, type ConfigIssue } from './configError';
import { defaultConfig, DEFAULT_AGENT_NAME } from './defaults';
import { hashConfig, readConfigLayer, type ConfigLayer, type LoadedConfig } from './loader';
import { configFileSchema, configSchema, PROVIDER_KINDS, type BreakwaterConfig } from './schema';
import { mergeScopes, type RawConfig, type Scope } from './scopeMerge';
import { getIn, instancesIn, keyOf, SCHEMA_FIELDS, type FieldPath, type SensitiveField } from './schemaWalk';
import { canonicalJson, displayValue, valueHash, type SensitiveValue, type WorkspaceTrust } from './trust';
import { BASE_URL_ENV, ENDPOINT_FIELD, envEndpoint, type Env } from './userScope';
import type { ScopeReport, ValueSource } from './scopeReport';

/** The two files of the scoped config and what decides which workspace values count. */
export interface ConfigScopes {
  /** The user's own agents file (`userConfigPath(env)`); absent: no user scope (a missing file is an empty one). */
  readonly userFile?: string;
  /** The workspace's agents file (`.breakwater/agents.yaml` or `--config`). */
  readonly workspaceFile: string;
  /** The workspace folder confirmations are recorded for. */
  readonly folder: string;
  /** Confirmed values in a trusted window; none in Restricted Mode. */
  readonly trust: WorkspaceTrust;
  /** Endpoint variables (`ANTHROPIC_BASE_URL`…) win over both files; defaults to none. */
  readonly env?: Env;
}

export type { ScopeReport, ValueSource } from './scopeReport';

/**
 * Loads the effective config from the user's file and the workspace's (README, "Workspace configuration and trust"). Precedence, highest
 * first: environment endpoints → the user's file → the workspace file's values (its sensitive ones only when
 * confirmed, never in Restricted Mode) → defaults. Each file is validated on its own (errors name file, key and
 * line); references between agents, servers and tasks are checked on the merge.
 */
export async function loadScopedConfig(scopes: ConfigScopes): Promise<LoadedConfig> {
  const env = scopes.env ?? {};
  const user = scopes.userFile === undefined ? undefined : await readConfigLayer(scopes.userFile);
  const workspace = await readConfigLayer(scopes.workspaceFile);
  checkUserOnly(workspace, user);
  const userRaw = user?.raw ?? {};
  const files = { user: user?.file, workspace: workspace.file };

  // References are checked with every workspace value in place: a typo is reported whether or not it is confirmed.
  const everything = mergeScopes(userRaw, workspace.raw, { widen: new Set(SCHEMA_FIELDS.sensitive.map((f) => keyOf(f.path))) });
  checkReferences(everything.raw, everything.scopes, user, workspace);

  const { sensitive, overridden } = judgeSensitive(userRaw, workspace, scopes, env);
  const inUse = sensitive.filter((s) => s.status === 'confirmed');
  const pruned = structuredClone(workspace.raw);
  for (const s of sensitive) if (s.status !== 'confirmed' && field(s.path)?.meta.kind !== 'widening') deleteIn(pruned, s.path);
  // An endpoint the environment sets: the workspace's value is never used, so it does not stay in the config either.
  for (const at of overridden) deleteIn(pruned, at);
  const merged = mergeScopes(userRaw, pruned, { widen: new Set(inUse.map((s) => s.key)) });
  const raw = withDefaultAgent(stripMissingServers(merged.raw));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(workspace.file, parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })));
  const config = parsed.data;

  const report: ScopeReport = {
    user: { file: user?.file ?? null, exists: user?.exists ?? false },
    workspace: { file: workspace.file, exists: workspace.exists, folder: scopes.folder },
    restricted: scopes.trust.kind === 'restricted',
    values: valueSources(config, merged.scopes, files, env),
    sensitive,
    notes: merged.dropped.map((d) => `${d.key}: ${d.values.join(', ')} from ${workspace.file} ${d.values.length === 1 ? 'is' : 'are'} not in your own list and ${d.values.length === 1 ? 'is' : 'are'} left out (a workspace file can only narrow it)`),
  };
  return {
    config,
    source: workspace.exists ? { kind: 'file', path: workspace.file } : { kind: 'default', path: workspace.file },
    hash: hashConfig(config),
    scopes: report,
  };
}

const field = (path: FieldPath): SensitiveField | undefined =>
  SCHEMA_FIELDS.sensitive.find((f) => f.path.length === (f.perEntry ? path.length - 1 : path.length) && f.path.every((s, i) => s === '*' || s === path[i]));

/** A workspace value only the user scope may set (`settings.sandbox.mode: off`) is refused outright. */
function checkUserOnly(workspace: ConfigLayer, user: ConfigLayer | undefined): void {
  const issues: ConfigIssue[] = [];
  for (const f of SCHEMA_FIELDS.userOnly) {
    for (const at of instancesIn(workspace.raw, f.path)) {
      const value = getIn(workspace.raw, at);
      if (!f.values.some((v) => canonicalJson(v) === canonicalJson(value))) continue;
      issues.push({
        path: keyOf(at),
        line: workspace.lineOf(at),
        message: `${displayValue(value)} can only be set in your own file (${user?.file ?? 'the user scope'}), never by a workspace file: it ${f.why}. Remove it here; no confirmation can allow it`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(workspace.file, issues);
}

/** Each sensitive value of the workspace file that would change the effective config, with its status. */
function judgeSensitive(userRaw: RawConfig, workspace: ConfigLayer, scopes: ConfigScopes, env: Env): { sensitive: SensitiveValue[]; overridden: FieldPath[] } {
  const out: SensitiveValue[] = [];
  const overridden: FieldPath[] = [];
  const effective = (ws: RawConfig, widen: Set<string>) => configFileSchema.safeParse(mergeScopes(userRaw, ws, { widen }).raw);
  for (const f of SCHEMA_FIELDS.sensitive) {
    for (const at of instancesIn(workspace.raw, f.path, f.perEntry)) {
      const key = keyOf(at);
      // An endpoint the environment sets: the workspace value is never used, so there is nothing to confirm.
      const kind = PROVIDER_KINDS.find((k) => keyOf(ENDPOINT_FIELD[k]) === key);
      if (kind !== undefined && envEndpoint(env, kind) !== undefined) {
        overridden.push(at);
        continue;
      }
      const without = structuredClone(workspace.raw);
      if (f.meta.kind !== 'widening') deleteIn(without, at);
      const [a, b] = [effective(workspace.raw, new Set([key])), effective(without, new Set())];
      if (a.success && b.success && canonicalJson(getIn(a.data, at)) === canonicalJson(getIn(b.data, at))) continue;
      const value = getIn(workspace.raw, at);
      const hash = valueHash(at, value);
      const status = scopes.trust.kind === 'restricted' ? 'restricted' : scopes.trust.confirmations.isConfirmed(scopes.folder, key, hash) ? 'confirmed' : 'unconfirmed';
      const line = workspace.lineOf(at);
      out.push({ key, path: at, value, display: displayValue(value), file: workspace.file, ...(line === undefined ? {} : { line }), kind: f.meta.kind, why: f.meta.why, hash, status });
    }
  }
  return { sensitive: out, overridden };
}

/** Cross-references of the merged config, each reported in the file that holds the referring entry, at its line. */
function checkReferences(raw: RawConfig, scopes: ReadonlyMap<string, Scope>, user: ConfigLayer | undefined, workspace: ConfigLayer): void {
  const r = configSchema.safeParse(withDefaultAgent(raw));
  if (r.success) return;
  const byFile = new Map<ConfigLayer, ConfigIssue[]>();
  for (const issue of r.error.issues) {
    const owner = scopes.get(keyOf(issue.path.slice(0, 2).map(String))) === 'user' && user ? user : workspace;
    const list = byFile.get(owner) ?? [];
    list.push({ path: formatPath(issue.path), line: owner.lineOf(issue.path), message: issue.message });
    byFile.set(owner, list);
  }
  const [blamed] = byFile;
  if (blamed === undefined) throw new Error('the config is invalid, but no file could be named for it');
  const [layer, issues] = blamed;
  throw new ConfigError(layer.file, issues);
}

/** An agent may name only servers that made it into the effective config (an unconfirmed one did not). */
function stripMissingServers(raw: RawConfig): RawConfig {
  const servers = (raw.servers ?? {}) as Record<string, unknown>;
  const agents = (raw.agents ?? {}) as Record<string, Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const [name, agent] of Object.entries(agents)) {
    out[name] = Array.isArray(agent?.servers) ? { ...agent, servers: agent.servers.filter((s: unknown) => typeof s === 'string' && s in servers) } : agent;
  }
  return { ...raw, agents: out };
}

/** Neither file names an agent: the built-in assistant, on the merged settings. */
function withDefaultAgent(raw: RawConfig): RawConfig {
  const agents = raw.agents as Record<string, unknown> | undefined;
  if (agents !== undefined && Object.keys(agents).length > 0) return raw;
  return { ...raw, agents: { [DEFAULT_AGENT_NAME]: defaultConfig().agents[DEFAULT_AGENT_NAME] } };
}

function valueSources(config: BreakwaterConfig, scopes: ReadonlyMap<string, Scope>, files: { user?: string; workspace: string }, env: Env): Record<string, ValueSource> {
  const fromScope = (key: string): ValueSource => {
    const scope = scopes.get(key);
    if (scope === undefined) return { from: 'default' };
    const list = scope === 'user' ? [files.user ?? ''] : scope === 'workspace' ? [files.workspace] : [files.user ?? '', files.workspace];
    return { from: scope, files: list };
  };
  const out: Record<string, ValueSource> = {};
  for (const key of Object.keys(config.settings)) out[`settings.${key}`] = fromScope(`settings.${key}`);
  for (const kind of PROVIDER_KINDS) {
    const key = keyOf(ENDPOINT_FIELD[kind]);
    out[key] = envEndpoint(env, kind) !== undefined ? { from: 'env', variable: BASE_URL_ENV[kind] } : fromScope(key);
  }
  out.state = fromScope('state');
  for (const section of ['servers', 'agents', 'tasks'] as const) for (const name of Object.keys(config[section])) out[`${section}.${name}`] = fromScope(`${section}.${name}`);
  return out;
}

/** Removes the value at `path`, and the mappings it leaves empty (so an emptied section counts as not set). */
function deleteIn(root: RawConfig, path: FieldPath): void {
  const chain: Record<string, unknown>[] = [root];
  let node: Record<string, unknown> = root;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
    chain.push(node);
  }
  const last = path.at(-1);
  if (last === undefined) return;
  delete node[last];
  for (let i = chain.length - 1; i > 0; i--) {
    const [child, parent, key] = [chain[i], chain[i - 1], path[i - 1]];
    if (child === undefined || parent === undefined || key === undefined || Object.keys(child).length > 0) break;
    delete parent[key];
  }
}
