import type { z } from 'zod';
import { combinedFields, configFileSchema, sensitiveFields, type CombineRule, type SensitiveMeta } from './schema';

/**
 * The lists the scoped loader works from, derived by walking the zod schema — never written a second time.
 * A path is the YAML key path; `*` stands for any name in a record (`servers.*`, `agents.*.budget_usd`).
 */

export type FieldPath = readonly string[];

export interface SensitiveField {
  readonly path: FieldPath;
  readonly meta: SensitiveMeta;
  /** A record (`servers`, `settings.prices`): each entry is confirmed on its own, by name. */
  readonly perEntry: boolean;
}

export interface UserOnlyField {
  readonly path: FieldPath;
  /** Values a workspace file may never set here. */
  readonly values: readonly unknown[];
  readonly why: string;
}

export interface CombinedField {
  readonly path: FieldPath;
  readonly combine: CombineRule;
}

export interface SchemaFields {
  /** Sensitive fields, outermost only (a sensitive object is confirmed as a whole). */
  readonly sensitive: readonly SensitiveField[];
  readonly userOnly: readonly UserOnlyField[];
  readonly combined: readonly CombinedField[];
  /** Records (maps by name: `servers`, `agents`, `settings.prices`): merged entry by entry. */
  readonly records: readonly FieldPath[];
}

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly in?: z.ZodType;
  readonly shape?: Record<string, z.ZodType>;
  readonly valueType?: z.ZodType;
}

const defOf = (schema: z.ZodType): Def => schema._zod.def;

/** Walks `schema` (default: one agents file) and collects the registered fields. */
export function walkSchema(schema: z.ZodType = configFileSchema): SchemaFields {
  const sensitive: SensitiveField[] = [];
  const userOnly: UserOnlyField[] = [];
  const combined: CombinedField[] = [];
  const records: FieldPath[] = [];
  const visit = (node: z.ZodType, path: string[], insideSensitive: boolean): void => {
    let covered = insideSensitive;
    const meta = sensitiveFields.get(node);
    if (meta) {
      if (meta.userOnly) userOnly.push({ path, values: meta.userOnly, why: meta.why });
      if (!insideSensitive) sensitive.push({ path, meta, perEntry: unwrap(node).type === 'record' });
      covered = true;
    }
    const rule = combinedFields.get(node);
    if (rule) combined.push({ path, combine: rule.combine });
    const def = defOf(node);
    switch (def.type) {
      case 'default':
      case 'prefault':
      case 'optional':
      case 'nullable':
      case 'readonly':
        return visit(def.innerType!, path, covered);
      case 'pipe':
        return visit(def.in!, path, covered);
      case 'object':
        for (const [key, child] of Object.entries(def.shape ?? {})) visit(child, [...path, key], covered);
        return;
      case 'record':
        records.push(path);
        return visit(def.valueType!, [...path, '*'], covered);
      default:
        return;
    }
  };
  visit(schema, [], false);
  return { sensitive, userOnly, combined, records };
}

function unwrap(node: z.ZodType): Def {
  let def = defOf(node);
  while (def.innerType !== undefined && ['default', 'prefault', 'optional', 'nullable', 'readonly'].includes(def.type)) def = defOf(def.innerType);
  return def;
}

/** The fields of one agents file, walked once. */
export const SCHEMA_FIELDS: SchemaFields = walkSchema();

/** `['servers','*']` matches `['servers','prod']`. */
export function pathMatches(pattern: FieldPath, path: FieldPath): boolean {
  return pattern.length === path.length && pattern.every((step, i) => step === '*' || step === path[i]);
}

/** Whether a concrete path is a record (merged by name). */
export function isRecordAt(path: FieldPath): boolean {
  return SCHEMA_FIELDS.records.some((r) => pathMatches(r, path));
}

/** The combine rule of a concrete path (`settings.budget_usd`, `agents.dev.denied_commands`), if it has one. */
export function combineRuleAt(path: FieldPath): CombineRule | undefined {
  return SCHEMA_FIELDS.combined.find((f) => pathMatches(f.path, path))?.combine;
}

/**
 * Every concrete path in `raw` (one parsed YAML file, before defaults) that `pattern` names and that holds a value.
 * A per-entry sensitive record yields one path per entry.
 */
export function instancesIn(raw: unknown, pattern: FieldPath, perEntry = false): string[][] {
  const full = perEntry ? [...pattern, '*'] : [...pattern];
  const out: string[][] = [];
  const go = (node: unknown, i: number, at: string[]): void => {
    if (i === full.length) {
      if (node !== undefined) out.push(at);
      return;
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) return;
    const record = node as Record<string, unknown>;
    const step = full[i];
    if (step === undefined) return;
    const keys = step === '*' ? Object.keys(record) : Object.prototype.hasOwnProperty.call(record, step) ? [step] : [];
    for (const key of keys) go(record[key], i + 1, [...at, key]);
  };
  go(raw, 0, []);
  return out;
}

/** The value at `path` in a plain object tree, or undefined. */
export function getIn(root: unknown, path: FieldPath): unknown {
  let node = root;
  for (const step of path) {
    if (node === null || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, step)) return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

/** `path` as users write it: `providers.anthropic.base_url`, `servers.prod`. */
export function keyOf(path: FieldPath): string {
  return path.join('.');
}
