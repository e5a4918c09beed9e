import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatPath, type ConfigIssue } from './configError';
import { defaultConfig, DEFAULT_AGENT_NAME } from './defaults';
import { configFileSchema, configSchema, type BreakwaterConfig } from './schema';
import type { ScopeReport } from './scopeReport';
import { lineOfPath } from './yamlLocate';

export interface LoadedConfig {
  readonly config: BreakwaterConfig;
  /** Where it came from: the (workspace) file, or the built-in default because the file does not exist. */
  readonly source: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'default'; readonly path: string };
  /** Short sha256 of the validated config; recorded in every run so a resume can tell the config changed. */
  readonly hash: string;
  /** Loaded with both scopes (`loadScopedConfig`): which file each value came from, and the sensitive values. */
  readonly scopes?: ScopeReport;
}

/** One agents file as written: validated on its own (structure and types), before defaults and merging. */
export interface ConfigLayer {
  readonly file: string;
  /** False: the file does not exist (an empty layer). */
  readonly exists: boolean;
  /** The parsed YAML, a mapping (`{}` for a missing or empty file). */
  readonly raw: Record<string, unknown>;
  /** Line of a key path in this file, for messages; undefined for a missing file. */
  lineOf(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Reads one agents file as a layer of the scoped config. A missing file is an empty layer; anything else that is
 * wrong throws a `ConfigError` listing every problem with its key path and line. References between agents,
 * servers and tasks are not checked here (the other scope may hold what this file names).
 */
export async function readConfigLayer(file: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { file, exists: false, raw: {}, lineOf: () => undefined };
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(e as Error).message}); check its permissions` }], { cause: e });
  }
  const { doc, lines, raw } = parseYaml(text, file);
  const parsed = configFileSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(file, parsed.error.issues.flatMap((issue) => toIssues(issue, doc, lines)));
  return { file, exists: true, raw, lineOf: (path) => lineOfPath(doc, lines, path) };
}

/**
 * Reads and validates an agents file. A missing file yields the built-in default; anything else that
 * is wrong throws a `ConfigError` listing every problem with its key path and line.
 */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      const config = defaultConfig();
      return { config, source: { kind: 'default', path: file }, hash: hashConfig(config) };
    }
    throw new ConfigError(file, [{ path: '', message: `cannot read the file (${(e as Error).message}); check its permissions` }], { cause: e });
  }
  const config = parseConfigText(text, file);
  return { config, source: { kind: 'file', path: file }, hash: hashConfig(config) };
}

/** Parses YAML text as an agents file. Throws `ConfigError` with lines. */
export function parseConfigText(text: string, file = 'agents.yaml'): BreakwaterConfig {
  const { doc, lines, raw } = parseYaml(text, file);
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(file, parsed.error.issues.flatMap((issue) => toIssues(issue, doc, lines)));
  }
  const config = parsed.data;
  if (Object.keys(config.agents).length === 0) {
    // A file without agents (only settings, say) still gets the default assistant, on its settings.
    return configSchema.parse({ ...(raw as object), agents: { [DEFAULT_AGENT_NAME]: defaultConfig().agents[DEFAULT_AGENT_NAME] } });
  }
  return config;
}

function parseYaml(text: string, file: string): { doc: ReturnType<typeof parseDocument>; lines: LineCounter; raw: Record<string, unknown> } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((err) => ({ path: '', line: lines.linePos(err.pos[0]).line, message: `YAML syntax: ${err.message.split('\n')[0]}` })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(file, [{ path: '', line: 1, message: 'the file must be a mapping with settings/providers/servers/agents/tasks' }]);
  }
  return { doc, lines, raw: raw as Record<string, unknown> };
}

/** Maps schema issues to config issues with the line of each path in `doc`. */
export function toIssues(issue: z.core.$ZodIssue, doc: ReturnType<typeof parseDocument>, lines: LineCounter): ConfigIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      line: lineOfPath(doc, lines, issue.path, key),
      message: `unknown key "${key}"${suggest(key, doc.getIn(issue.path.map(String)) !== undefined ? knownKeys(issue.path) : [])}; remove it or fix its spelling`,
    }));
  }
  return [{ path: formatPath(issue.path), line: lineOfPath(doc, lines, issue.path), message: issue.message }];
}

/** The keys the schema allows at a path, for "did you mean" hints. */
function knownKeys(path: readonly PropertyKey[]): string[] {
  const top = ['settings', 'state', 'providers', 'servers', 'agents', 'tasks'];
  if (path.length === 0) return top;
  const shape = (s: unknown): string[] => Object.keys((s as { shape?: object }).shape ?? {});
  const cfgShape: Record<string, unknown> = configFileSchema.shape;
  const def = (name: string): unknown => {
    let s: unknown = cfgShape?.[name];
    // unwrap .default()
    while (s && (s as { def?: { innerType?: unknown } }).def?.innerType) s = (s as { def: { innerType: unknown } }).def.innerType;
    return s;
  };
  if (path.length === 1 && (path[0] === 'settings' || path[0] === 'providers')) return shape(def(path[0]));
  return [];
}

function suggest(key: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean "${best}"?)` : '';
}

function distance(a: string, b: string): number {
  // One row of the edit-distance table; every index read below is inside it (0…b.length).
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  const at = (j: number): number => row[j] ?? 0;
  for (let i = 1; i <= a.length; i++) {
    let prev = at(0);
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = at(j);
      row[j] = Math.min(at(j) + 1, at(j - 1) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return at(b.length);
}

export function hashConfig(config: BreakwaterConfig): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}
