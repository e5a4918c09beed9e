import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import type { SensitiveKind } from './schema';
import type { FieldPath } from './schemaWalk';

/**
 * Confirmation of the workspace file's sensitive values (README, "Workspace configuration and trust"): per workspace folder and per exact
 * value. The record lives in user scope (VS Code `globalState`, the CLI's `trust.json`); a changed value has a new
 * hash and needs a new confirmation.
 */

/** Answers whether the user confirmed exactly this value of this key for this folder. */
export interface Confirmations {
  isConfirmed(folder: string, key: string, hash: string): boolean;
}

/** Where the workspace's sensitive values may come from: confirmed values in a trusted window, none in Restricted Mode. */
export type WorkspaceTrust = { readonly kind: 'trusted'; readonly confirmations: Confirmations } | { readonly kind: 'restricted' };

const confirmationSchema = z.object({ hash: z.string().regex(/^[0-9a-f]{64}$/), value: z.string(), confirmed_at: z.string() });
/** Confirmations by folder, then by key: the shape both hosts keep (the CLI in trust.json, VS Code in globalState). */
export const confirmedFoldersSchema = z.record(z.string(), z.record(z.string(), confirmationSchema));
export type ConfirmedFolders = z.infer<typeof confirmedFoldersSchema>;

/** Nothing is confirmed (a host that keeps no record, or a test). */
export const NO_CONFIRMATIONS: Confirmations = { isConfirmed: () => false };

/**
 * A workspace value of a sensitive key that would change the effective config.
 * - `confirmed`: in use; `unconfirmed`: not used until confirmed; `restricted`: Restricted Mode, never used or asked.
 */
export interface SensitiveValue {
  /** `providers.anthropic.base_url`, `servers.prod`. */
  readonly key: string;
  readonly path: FieldPath;
  /** The value as written in the workspace file. */
  readonly value: unknown;
  /** The value in one line, as the confirmation shows it. */
  readonly display: string;
  readonly file: string;
  readonly line?: number;
  readonly kind: SensitiveKind;
  readonly why: string;
  /** Identifies key + exact value; what a confirmation records. */
  readonly hash: string;
  readonly status: 'confirmed' | 'unconfirmed' | 'restricted';
}

/** JSON with sorted keys, so equal values hash equally whatever their key order in YAML. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 of the key path and the exact value. */
export function valueHash(keyPath: FieldPath, value: unknown): string {
  return createHash('sha256').update(JSON.stringify(keyPath)).update('\0').update(canonicalJson(value)).digest('hex');
}

/**
 * A value in one line as a confirmation shows it: strings as they are, anything else as compact JSON — with control,
 * zero-width and bidirectional characters spelled out (`\u{202e}`), so a value cannot show the user something else
 * than what it is.
 */
export function displayValue(value: unknown): string {
  const text = typeof value === 'string' ? value : canonicalJson(value);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** The folder as confirmations record it: absolute, symbolic links resolved, so every way of naming it agrees. */
export function trustFolderKey(folder: string): string {
  const absolute = path.resolve(folder);
  try {
    return fs.realpathSync.native(absolute);
  } catch {
    return absolute;
  }
}
