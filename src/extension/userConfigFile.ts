import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { userConfigPath } from '../core/index';

/**
 * The user's own agents file (user scope): `breakwater.userConfigFile` (an application setting, so only the user's
 * own settings can set it, never a workspace's), else the same file as the CLI's (`BREAKWATER_USER_CONFIG`, else
 * `$XDG_CONFIG_HOME/breakwater/agents.yaml`).
 */
export function userConfigFile(): string {
  const setting = vscode.workspace.getConfiguration('breakwater').inspect<string>('userConfigFile')?.globalValue?.trim();
  if (setting) return path.resolve(setting.replace(/^~(?=$|[\\/])/, os.homedir()));
  return userConfigPath(process.env);
}
