import type { WorkspaceSandbox } from './workspaceSandbox';

/** What the shell policy judges a command against: where it starts, the workspace, and the allow and deny lists. */
export interface CommandPolicyOptions {
  /** Real path the command starts in. */
  readonly cwd: string;
  /** Checks redirection targets and store paths; omitted for `ssh`, whose files are on the remote host. */
  readonly sandbox?: WorkspaceSandbox;
  /** Every non-empty list must admit each program (settings, then the agent's narrowing list). */
  readonly allowedLists: readonly (readonly string[])[];
  /** Programs that never run (settings ∪ agent). */
  readonly denied: readonly string[];
}
