import * as vscode from 'vscode';
import type { CoreHost } from './coreHost';
import { costBarView } from './statusSnapshot';

/** Today's cost against the budget; a warning background when a breaker is open or the budget passes 80 %. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('breakwater.cost', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly host: CoreHost) {
    this.item.name = vscode.l10n.t('Breakwater cost');
    this.item.command = 'breakwater.showStatus';
    this.item.text = '$(shield) Breakwater';
    this.item.show();
    this.subscriptions.push(host.onEvent(() => void this.update()), host.onDidCreate(() => void this.update()));
  }

  async update(): Promise<void> {
    const core = this.host.current;
    if (!core) return;
    const view = costBarView(await core.status(), vscode.l10n.t);
    this.item.text = view.text;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = view.tooltip.join('\n');
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
