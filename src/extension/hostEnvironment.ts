import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** Where VS Code keeps its own ripgrep; the `.asar.unpacked` forms exist in packaged builds. */
export function ripgrepPath(appRoot: string = vscode.env.appRoot): string {
  const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
  const candidates = [
    path.join(appRoot, 'node_modules', '@vscode', 'ripgrep', 'bin', exe),
    path.join(appRoot, 'node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', exe),
    path.join(appRoot, 'node_modules', 'vscode-ripgrep', 'bin', exe),
    path.join(appRoot, 'node_modules.asar.unpacked', 'vscode-ripgrep', 'bin', exe),
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? 'rg';
}

export function workspaceFolders(): string[] {
  return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
}

/** The agents file: `breakwater.configFile` relative to the first workspace folder. */
export function configFileUri(): vscode.Uri | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) return undefined;
  const setting = vscode.workspace.getConfiguration('breakwater', folder.uri).get<string>('configFile') || '.breakwater/agents.yaml';
  return path.isAbsolute(setting) ? vscode.Uri.file(setting) : vscode.Uri.joinPath(folder.uri, setting);
}

/** The store: `breakwater.storePath`, else the extension's workspace storage (global storage without a folder). */
export function storeDir(context: vscode.ExtensionContext): string {
  const setting = vscode.workspace.getConfiguration('breakwater').get<string>('storePath');
  if (setting) return setting;
  return (context.storageUri ?? context.globalStorageUri).fsPath;
}
