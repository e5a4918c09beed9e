import { domainMatches } from '../common/domains';
import type { CombineRule } from './schema';
import { combineRuleAt, isRecordAt, keyOf, type FieldPath } from './schemaWalk';

/**
 * Merges the user's agents file and the workspace's, both as written (validated, before defaults), into one raw
 * config (README, "Workspace configuration and trust"):
 * - `settings` key by key, `providers` field by field, `state` as a whole: the user's value wins;
 * - `servers` and `settings.prices` by name: the user's entry wins;
 * - `agents` and `tasks` by name: the workspace's entry wins — but an agent both files define keeps the
 *   stricter of each narrowing field (see `CombineRule`), so a repository cannot lift the user's cap on it;
 * - a field with a `CombineRule` combines both values, so the workspace can only narrow it.
 * Which sensitive workspace values take part is decided before (`scopedLoader.ts`); this is only the merge.
 */

export type RawConfig = Record<string, unknown>;

/** Which file an effective value came from. */
export type Scope = 'user' | 'workspace' | 'user+workspace';

export interface MergeOptions {
  /** Keys (`settings.allowed_commands`) whose workspace value may widen the user's (confirmed); all others only narrow. */
  readonly widen?: ReadonlySet<string>;
}

export interface MergeResult {
  readonly raw: RawConfig;
  /** By key path (`settings.timeout`, `providers.anthropic.base_url`, `agents.dev`): where the value came from. */
  readonly scopes: ReadonlyMap<string, Scope>;
  /** Workspace entries a narrowing rule dropped (`http_allowed_domains: evil.com` not in the user's list). */
  readonly dropped: readonly { readonly key: string; readonly values: readonly string[] }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const objectAt = (raw: RawConfig, key: string): Record<string, unknown> => (isObject(raw[key]) ? (raw[key]) : {});

/** Sections merged by name, and which scope wins an entry both define. */
const BY_NAME: Readonly<Record<string, 'user' | 'workspace'>> = { servers: 'user', agents: 'workspace', tasks: 'workspace' };

export function mergeScopes(user: RawConfig, workspace: RawConfig, options: MergeOptions = {}): MergeResult {
  const scopes = new Map<string, Scope>();
  const dropped: { key: string; values: string[] }[] = [];
  const widen = options.widen ?? new Set<string>();
  const raw: RawConfig = {};

  const combine = (path: FieldPath, rule: CombineRule, u: unknown, w: unknown): { value: unknown; scope: Scope } => {
    const result = combineValues(rule, u, w, widen.has(keyOf(path)));
    if (result.dropped.length > 0) dropped.push({ key: keyOf(path), values: result.dropped });
    return { value: result.value, scope: result.scope };
  };

  /** Key by key: the user's value wins unless the key has a combine rule; `nested` keys and records merge inside. */
  const keyByKey = (path: FieldPath, u: Record<string, unknown>, w: Record<string, unknown>, nested: ReadonlySet<string> = new Set()): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(w), ...Object.keys(u)])) {
      const at = [...path, key];
      const [hasU, hasW] = [key in u, key in w];
      if ((nested.has(key) || isRecordAt(at)) && (isObject(u[key]) || isObject(w[key]))) {
        out[key] = isRecordAt(at) ? byName(at, objectAt(u, key), objectAt(w, key), 'user') : keyByKey(at, objectAt(u, key), objectAt(w, key));
        scopes.set(keyOf(at), hasU && hasW ? 'user+workspace' : hasU ? 'user' : 'workspace');
        continue;
      }
      const rule = combineRuleAt(at);
      if (hasU && hasW && rule !== undefined) {
        const c = combine(at, rule, u[key], w[key]);
        out[key] = c.value;
        scopes.set(keyOf(at), c.scope);
      } else if (hasU) {
        out[key] = u[key];
        scopes.set(keyOf(at), 'user');
      } else if (hasW) {
        out[key] = w[key];
        scopes.set(keyOf(at), 'workspace');
      }
    }
    return out;
  };

  /** By name: whole entries; `winner` takes an entry both define (agents keep the stricter narrowing fields). */
  const byName = (path: FieldPath, u: Record<string, unknown>, w: Record<string, unknown>, winner: 'user' | 'workspace'): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const name of new Set([...Object.keys(u), ...Object.keys(w)])) {
      const at = [...path, name];
      if (!(name in w)) {
        out[name] = u[name];
        scopes.set(keyOf(at), 'user');
      } else if (!(name in u)) {
        out[name] = w[name];
        scopes.set(keyOf(at), 'workspace');
      } else if (winner === 'user') {
        out[name] = u[name];
        scopes.set(keyOf(at), 'user');
      } else {
        out[name] = narrowEntry(at, objectOr(u[name]), objectOr(w[name]));
        scopes.set(keyOf(at), 'workspace');
      }
    }
    return out;
  };

  /** The workspace's entry, with each narrowing field combined with the user's entry of the same name. */
  const narrowEntry = (path: FieldPath, u: Record<string, unknown>, w: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...w };
    for (const key of Object.keys(u)) {
      const rule = combineRuleAt([...path, key]);
      if (rule === undefined) continue;
      out[key] = key in w ? combine([...path, key], rule, u[key], w[key]).value : u[key];
    }
    return out;
  };

  for (const section of new Set([...Object.keys(workspace), ...Object.keys(user)])) {
    const [u, w] = [objectAt(user, section), objectAt(workspace, section)];
    if (section === 'settings') raw.settings = keyByKey(['settings'], u, w);
    else if (section === 'providers') raw.providers = keyByKey(['providers'], u, w, new Set(Object.keys({ ...u, ...w })));
    else if (BY_NAME[section] !== undefined) raw[section] = byName([section], u, w, BY_NAME[section]);
    else if (section in user) {
      raw[section] = user[section];
      scopes.set(section, 'user');
    } else {
      raw[section] = workspace[section];
      scopes.set(section, 'workspace');
    }
  }
  return { raw, scopes, dropped };
}

const objectOr = (v: unknown): Record<string, unknown> => (isObject(v) ? v : {});

/**
 * Combines a value both scopes set. `widen`: the workspace value is taken as written (a confirmed widening);
 * otherwise a `subset` list keeps only what the user's list allows.
 */
export function combineValues(rule: CombineRule, u: unknown, w: unknown, widen = false): { value: unknown; scope: Scope; dropped: string[] } {
  switch (rule) {
    case 'min': {
      const [a, b] = [typeof u === 'number' ? u : null, typeof w === 'number' ? w : null];
      if (a === null) return { value: b, scope: b === null ? 'user' : 'workspace', dropped: [] };
      if (b === null || a <= b) return { value: a, scope: 'user', dropped: [] };
      return { value: b, scope: 'workspace', dropped: [] };
    }
    case 'union': {
      const value = [...new Set([...strings(u), ...strings(w)])];
      return { value, scope: strings(w).length === 0 ? 'user' : strings(u).length === 0 ? 'workspace' : 'user+workspace', dropped: [] };
    }
    case 'subset':
    case 'subset_domain': {
      const [us, ws] = [strings(u), strings(w)];
      // An empty (or absent) list admits anything: the other list is the narrower one.
      if (us.length === 0) return { value: ws, scope: 'workspace', dropped: [] };
      if (ws.length === 0) return { value: us, scope: 'user', dropped: [] };
      if (widen) return { value: ws, scope: 'workspace', dropped: [] };
      const within = rule === 'subset' ? (x: string) => us.includes(x) : (x: string) => us.some((d) => domainMatches(x, d));
      const kept = ws.filter(within);
      const dropped = ws.filter((x) => !within(x));
      // Nothing of the workspace's list is allowed: an empty list would mean "anything", so the user's list stays.
      if (kept.length === 0) return { value: us, scope: 'user', dropped };
      return { value: kept, scope: dropped.length === 0 ? 'workspace' : 'user+workspace', dropped };
    }
  }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
