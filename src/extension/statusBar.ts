import * as vscode from 'vscode';
import type { CoreHost } from './coreHost';

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
    const s = await core.status();
    const budget = s.costs.budgetUsd;
    const broken = [...s.providers, ...s.tools].filter((b) => b.state === 'open');
    const overBudget = budget !== null && budget > 0 && s.costs.totalUsd / budget > 0.8;
    this.item.text = `$(shield) $${s.costs.todayUsd.toFixed(2)}${budget === null ? '' : ` / $${budget.toFixed(2)}`}`;
    this.item.backgroundColor = broken.length > 0 || overBudget ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    const lines = [vscode.l10n.t('Breakwater — today {0}, total {1}', `$${s.costs.todayUsd.toFixed(4)}`, `$${s.costs.totalUsd.toFixed(4)}`)];
    if (budget !== null) lines.push(vscode.l10n.t('Budget {0} ({1} % used)', `$${budget.toFixed(2)}`, Math.round((s.costs.totalUsd / Math.max(budget, 1e-9)) * 100)));
    for (const b of broken) lines.push(vscode.l10n.t('Breaker open: {0}', b.name));
    this.item.tooltip = lines.join('\n');
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
