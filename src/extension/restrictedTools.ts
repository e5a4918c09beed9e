import * as vscode from 'vscode';
import { READ_ONLY_TOOLS, TOOL_NAMES } from '../core/index';

/**
 * Tools that are off, and why, for the chat's banner. Lives apart from `hostEnvironment.ts` because
 * the tool lists come from the config schema (zod), which only the lazily loaded core bundle may pull in.
 */
export function disabledTools(trusted: boolean = vscode.workspace.isTrusted): { tool: string; reason: string }[] {
  if (trusted) return [];
  const reason = vscode.l10n.t('Restricted Mode: trust this folder to let agents change it');
  return TOOL_NAMES.filter((t) => !READ_ONLY_TOOLS.includes(t) && t !== 'delegate').map((tool) => ({ tool, reason }));
}
