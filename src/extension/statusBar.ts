import * as vscode from 'vscode';
import type { SessionAccess } from './sessionAccess';
import { costBarView } from './statusSnapshot';

/** How long the status bar gathers core events before it reads the status once, in milliseconds. */
export const STATUS_BAR_COALESCE_MS = 500;

/** Today's cost against the budget; a warning background when a breaker is open or the budget passes 80 %. */
export class CostStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('breakwater.cost', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly access: SessionAccess,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    this.item.name = vscode.l10n.t('Breakwater cost');
    this.item.command = 'breakwater.showStatus';
    this.item.text = '$(shield) Breakwater';
    this.item.show();
    // A streaming run fires many events: the status is read once per burst, not once per event.
    this.subscriptions.push(access.onEvent(() => this.schedule()), access.onDidOpen(() => this.schedule()));
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.update().catch((e: unknown) => this.onError(e));
    }, STATUS_BAR_COALESCE_MS);
  }

  async update(): Promise<void> {
    const session = this.access.current;
    if (!session?.current) return;
    const view = costBarView(await session.status(), vscode.l10n.t);
    this.item.text = view.text;
    this.item.backgroundColor = view.warning ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.tooltip = view.tooltip.join('\n');
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscriptions) s.dispose();
    this.item.dispose();
  }
}
