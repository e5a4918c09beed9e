/** Helpers for host tests: the Breakwater extension as VS Code sees it, and its contributed commands. */
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

export const extensionId = 'breakwater.breakwater';

interface ContributedCommand {
  readonly command: string;
  readonly title?: string;
}

/** The extension, failing with a clear message when VS Code did not load it from the development path. */
export function breakwaterExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(extensionId);
  assert.ok(ext, `extension ${extensionId} is not loaded: check extensionDevelopmentPath and the publisher/name in package.json`);
  return ext;
}

export async function activateBreakwater(): Promise<vscode.Extension<unknown>> {
  const ext = breakwaterExtension();
  await ext.activate();
  return ext;
}

/** `contributes.commands` of the package.json VS Code loaded, read at test time so new commands are covered. */
export function contributedCommands(): ContributedCommand[] {
  const manifest = breakwaterExtension().packageJSON as { contributes?: { commands?: ContributedCommand[] } };
  return manifest.contributes?.commands ?? [];
}
