import * as vscode from 'vscode';

/** The `breakwater.status` tree: providers, tools, costs and runs. */
export class StatusTreeProvider implements vscode.TreeDataProvider<vscode.TreeItem>, vscode.Disposable {
  static readonly viewId = 'breakwater.status';

  private readonly _onDidChangeTreeData = new vscode.EventEmitter<vscode.TreeItem | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  getTreeItem(element: vscode.TreeItem): vscode.TreeItem {
    return element;
  }

  getChildren(): vscode.TreeItem[] {
    return [];
  }

  dispose(): void {
    this._onDidChangeTreeData.dispose();
  }
}
