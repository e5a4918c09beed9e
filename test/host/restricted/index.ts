/**
 * The Restricted Mode suite's runner: scripts/host/run-host.ts runs it in a code-server session of its own with
 * Workspace Trust on and the folder never trusted (no --disable-workspace-trust), so `vscode.workspace.isTrusted` is
 * false as it is for a user who opened a cloned repository without trusting it.
 */
import { runSuite } from '../support/runSuite';

export function run(): Promise<void> {
  return runSuite({ dir: __dirname, suffix: '.restricted.js', timeoutMs: 60_000 });
}
