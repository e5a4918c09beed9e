import type { LoadedConfig } from './loader';
import type { ValueSource } from './scopeReport';
import type { SensitiveValue } from './trust';

/** The `config` object of `--status --json`: the two files, where each effective value came from, and the sensitive values. */
export interface ConfigStatus {
  /** The hash recorded in every run (see `LoadedConfig.hash`). */
  readonly hash: string;
  readonly user_file: { readonly path: string; readonly exists: boolean } | null;
  readonly workspace_file: { readonly path: string; readonly exists: boolean };
  /** The folder confirmations are recorded for. */
  readonly folder: string | null;
  /** Restricted Mode: the workspace file's sensitive values are not used (and never asked about). */
  readonly restricted: boolean;
  /** By key path: `{ from: default | env | user | workspace | user+workspace, file?, variable? }`. */
  readonly values: Readonly<Record<string, { readonly from: string; readonly file?: string; readonly files?: readonly string[]; readonly variable?: string }>>;
  /** The workspace's sensitive values that would change something: `status` is confirmed, unconfirmed or restricted. */
  readonly sensitive: readonly { readonly key: string; readonly value: unknown; readonly file: string; readonly line: number | null; readonly kind: string; readonly why: string; readonly status: SensitiveValue['status'] }[];
  /** The keys of `sensitive` not in use until confirmed (`breakwater --trust-config`). */
  readonly unconfirmed: readonly string[];
  /** Workspace values a narrowing rule left out. */
  readonly notes: readonly string[];
}

export function configStatus(loaded: LoadedConfig): ConfigStatus {
  const s = loaded.scopes;
  if (s === undefined) {
    return { hash: loaded.hash, user_file: null, workspace_file: { path: loaded.source.path, exists: loaded.source.kind === 'file' }, folder: null, restricted: false, values: {}, sensitive: [], unconfirmed: [], notes: [] };
  }
  return {
    hash: loaded.hash,
    user_file: s.user.file === null ? null : { path: s.user.file, exists: s.user.exists },
    workspace_file: { path: s.workspace.file, exists: s.workspace.exists },
    folder: s.workspace.folder,
    restricted: s.restricted,
    values: Object.fromEntries(Object.entries(s.values).map(([key, v]) => [key, sourceJson(v)])),
    sensitive: s.sensitive.map((v) => ({ key: v.key, value: v.value, file: v.file, line: v.line ?? null, kind: v.kind, why: v.why, status: v.status })),
    unconfirmed: s.sensitive.filter((v) => v.status === 'unconfirmed').map((v) => v.key),
    notes: s.notes,
  };
}

function sourceJson(v: ValueSource): ConfigStatus['values'][string] {
  if (v.from === 'default') return { from: 'default' };
  if (v.from === 'env') return { from: 'env', variable: v.variable };
  return v.files.length === 1 ? { from: v.from, file: v.files[0] } : { from: v.from, files: v.files };
}
