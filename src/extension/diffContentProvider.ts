import * as vscode from 'vscode';

/**
 * Read-only documents for the diff editor: `breakwater-diff:/<id>/<side>/<file name>`. The proposed
 * content lives only in memory until the user approves; nothing is written to show the diff.
 */
export class DiffContentProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  static readonly scheme = 'breakwater-diff';
  private readonly contents = new Map<string, string>();
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.path) ?? '';
  }

  /** Opens VS Code's diff editor on current → proposed. */
  async showDiff(filePath: string, current: string | null, proposed: string, title: string): Promise<void> {
    const id = ++this.counter;
    const name = filePath.split(/[\\/]/).pop() || 'file';
    const left = vscode.Uri.from({ scheme: DiffContentProvider.scheme, path: `/${id}/current/${name}` });
    const right = vscode.Uri.from({ scheme: DiffContentProvider.scheme, path: `/${id}/proposed/${name}` });
    this.contents.set(left.path, current ?? '');
    this.contents.set(right.path, proposed);
    // Keep the last few diffs only: each holds whole file contents.
    if (this.contents.size > 40) for (const key of [...this.contents.keys()].slice(0, 2)) this.contents.delete(key);
    await vscode.commands.executeCommand('vscode.diff', left, right, title, { preview: true });
  }

  dispose(): void {
    this.contents.clear();
  }
}
