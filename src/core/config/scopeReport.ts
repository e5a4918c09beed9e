import type { Scope } from './scopeMerge';
import type { SensitiveValue } from './trust';

/** Where one effective value came from. */
export type ValueSource =
  | { readonly from: 'default' }
  | { readonly from: 'env'; readonly variable: string }
  | { readonly from: Scope; readonly files: readonly string[] };

/** What `--status --json` (`config`) and Show Status say about the scopes. */
export interface ScopeReport {
  readonly user: { readonly file: string | null; readonly exists: boolean };
  readonly workspace: { readonly file: string; readonly exists: boolean; readonly folder: string };
  /** Restricted Mode: no workspace sensitive value is used or asked about. */
  readonly restricted: boolean;
  /** By key path (`settings.timeout`, `providers.anthropic.base_url`, `agents.dev`). */
  readonly values: Readonly<Record<string, ValueSource>>;
  /** The workspace's sensitive values that would change something, and whether each is in use. */
  readonly sensitive: readonly SensitiveValue[];
  /** Workspace entries a narrowing rule left out (they would have loosened the user's own setting). */
  readonly notes: readonly string[];
}
