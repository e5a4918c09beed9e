/**
 * Runs a command the way a user would start it and walks away: commands that open a quick pick, an input box or a
 * notification with buttons wait for the user, so after `dismissAfterMs` (and then every `dismissAfterMs`) this closes
 * quick input and clears notifications until the command's promise settles.
 */
import * as vscode from 'vscode';

export interface RunCommandOptions {
  /** Delay before the first dismissal and between dismissals, in milliseconds. Default: 300. */
  readonly dismissAfterMs?: number;
  /** How long the command may take to settle, in milliseconds. Default: 15 s. */
  readonly timeoutMs?: number;
}

export type CommandOutcome =
  | { readonly kind: 'resolved'; readonly value: unknown }
  | { readonly kind: 'rejected'; readonly error: unknown }
  | { readonly kind: 'timed-out' };

const dismissCommands = ['workbench.action.closeQuickOpen', 'notifications.clearAll'];

export async function runCommandDismissingUi(command: string, args: readonly unknown[] = [], options: RunCommandOptions = {}): Promise<CommandOutcome> {
  const dismissAfterMs = options.dismissAfterMs ?? 300;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const outcome: Promise<CommandOutcome> = Promise.resolve(vscode.commands.executeCommand(command, ...args)).then(
    (value) => ({ kind: 'resolved', value }),
    (error: unknown) => ({ kind: 'rejected', error }),
  );
  let settled = false;
  void outcome.then(() => (settled = true));
  const started = Date.now();
  while (!settled && Date.now() - started < timeoutMs) {
    const tick = new Promise<void>((r) => setTimeout(r, dismissAfterMs));
    await Promise.race([outcome, tick]);
    if (settled) break;
    for (const dismiss of dismissCommands) await vscode.commands.executeCommand(dismiss);
  }
  return settled ? outcome : { kind: 'timed-out' };
}

/** Closes what a command may have left open (editors, panels), so the next one starts from a clean workbench. */
export async function tidyWorkbench(): Promise<void> {
  for (const dismiss of dismissCommands) await vscode.commands.executeCommand(dismiss);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
