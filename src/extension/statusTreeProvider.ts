import * as vscode from 'vscode';
import type { BreakerView, SandboxView, StatusSnapshot } from './coreViews';
import type { SessionAccess } from './sessionAccess';
import { breakerParts, toSandboxView } from './statusSnapshot';

/** How long the tree gathers core events before it reads the status once, in milliseconds. */
export const TREE_COALESCE_MS = 250;

type Node =
  | { readonly kind: 'section'; readonly section: 'providers' | 'tools' | 'costs' | 'runs' }
  | { readonly kind: 'breaker'; readonly scope: 'provider' | 'tool'; readonly breaker: BreakerView }
  | { readonly kind: 'cost'; readonly label: string; readonly detail: string; readonly children?: readonly Node[] }
  | { readonly kind: 'run'; readonly runId: string; readonly agent: string; readonly status: string; readonly prompt: string }
  | { readonly kind: 'sandbox'; readonly view: SandboxView }
  | { readonly kind: 'empty'; readonly label: string };

const BREAKER_ICON = {
  closed: new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed')),
  open: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  half_open: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('editorWarning.foreground')),
} as const;

/**
 * The `breakwater.status` tree: providers and tools with their breakers, costs against the budget,
 * and active or paused runs. It refreshes when the core reports something (breaker transitions,
 * costs, runs), never on a timer — except a one-shot refresh at an open breaker's probe time, so
 * "half-open" shows when it becomes true.
 */
export class StatusTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  static readonly viewId = 'breakwater.status';

  private readonly _onDidChangeTreeData = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private snapshot: StatusSnapshot | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  private refreshing: Promise<void> | undefined;
  private stale = false;
  private coreRequested = false;
  private coalesce: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly access: SessionAccess,
    private readonly now: () => number = Date.now,
    /** Where a failed status read goes (the tree keeps its last snapshot). Default: ignored. */
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    // Bursts of core events (a streaming run) are read as one status, at most every TREE_COALESCE_MS.
    const refresh = () => {
      this.coalesce ??= setTimeout(() => {
        this.coalesce = undefined;
        void this.refresh().catch((e: unknown) => this.onError(e));
      }, TREE_COALESCE_MS);
    };
    this.subscriptions.push(access.onEvent(refresh), access.onDidOpen(refresh));
  }

  /** The last snapshot shown (tests read the breaker states from it). */
  get current(): StatusSnapshot | undefined {
    return this.snapshot;
  }

  async refresh(): Promise<void> {
    const core = this.access.current;
    if (!core?.current) return;
    // Coalesce bursts of events into few status reads, but never drop the last one: an event that
    // arrives while a read is in flight (a failure, then the breaker opening) asks for another read.
    if (this.refreshing) {
      this.stale = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.stale = false;
          this.snapshot = await core.status();
        } while (this.stale);
        this.scheduleProbeRefresh();
        this._onDidChangeTreeData.fire(undefined);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private scheduleProbeRefresh(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    const next = [...(this.snapshot?.providers ?? []), ...(this.snapshot?.tools ?? [])].filter((b) => b.state === 'open' && b.retryAt !== undefined).map((b) => b.retryAt as number);
    if (next.length === 0) return;
    const wait = Math.max(0, Math.min(...next) - this.now()) + 50;
    this.probeTimer = setTimeout(() => void this.refresh(), wait);
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'section': {
        const labels = { providers: vscode.l10n.t('Providers'), tools: vscode.l10n.t('Tools'), costs: vscode.l10n.t('Costs'), runs: vscode.l10n.t('Runs') };
        const icons = { providers: 'cloud', tools: 'tools', costs: 'credit-card', runs: 'play-circle' };
        // Nine healthy tools are noise next to the chat: the section opens by itself only when one is tripped.
        const quiet = node.section === 'tools' && (this.snapshot?.tools ?? []).every((b) => b.state === 'closed');
        const item = new vscode.TreeItem(labels[node.section], quiet ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded);
        item.iconPath = new vscode.ThemeIcon(icons[node.section]);
        item.id = quiet ? `section:${node.section}` : `section:${node.section}:alert`;
        return item;
      }
      case 'breaker': {
        const b = node.breaker;
        const item = new vscode.TreeItem(b.name, vscode.TreeItemCollapsibleState.None);
        const { description, tooltip } = breakerParts(b, this.now(), vscode.l10n.t);
        item.description = description.join(' · ');
        item.tooltip = tooltip.join('\n');
        item.iconPath = BREAKER_ICON[b.state];
        item.contextValue = b.state === 'closed' ? `breaker.${node.scope}` : `breaker.${node.scope}.tripped`;
        item.id = `${node.scope}:${b.name}`;
        return item;
      }
      case 'cost': {
        const item = new vscode.TreeItem(node.label, node.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.description = node.detail;
        return item;
      }
      case 'run': {
        const item = new vscode.TreeItem(node.prompt.slice(0, 60) || node.runId, vscode.TreeItemCollapsibleState.None);
        item.description = `@${node.agent} · ${node.status}`;
        item.tooltip = `${node.runId}\n${node.prompt}`;
        item.iconPath = new vscode.ThemeIcon(node.status === 'running' ? 'loading~spin' : node.status === 'waiting_on_human' ? 'debug-pause' : 'warning');
        item.contextValue = node.status === 'waiting_on_human' ? 'run.paused' : 'run';
        item.command = { command: 'breakwater.openRun', title: vscode.l10n.t('Open Run'), arguments: [node.runId] };
        item.id = `run:${node.runId}`;
        return item;
      }
      case 'sandbox': {
        const item = new vscode.TreeItem(node.view.label, vscode.TreeItemCollapsibleState.None);
        item.description = node.view.description;
        item.tooltip = node.view.tooltip;
        item.iconPath = new vscode.ThemeIcon(node.view.state === 'sandboxed' ? 'lock' : 'unlock', new vscode.ThemeColor(node.view.state === 'sandboxed' ? 'testing.iconPassed' : 'editorWarning.foreground'));
        item.id = `sandbox:${node.view.state}`;
        return item;
      }
      case 'empty':
        return new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
    }
  }

  getChildren(node?: Node): Node[] {
    const s = this.snapshot;
    // VS Code asks for the root only once the view is visible: that is when the tree is worth the
    // core's load time (activation never pays it). The core's creation refreshes the tree.
    if (!node && !s && !this.coreRequested) {
      this.coreRequested = true;
      this.access.load().catch((e: unknown) => {
        this.coreRequested = false;
        this.onError(e);
      });
    }
    if (!node) {
      if (!s) return [];
      const sections: Node[] = [{ kind: 'section', section: 'providers' }, { kind: 'section', section: 'tools' }, { kind: 'section', section: 'costs' }, { kind: 'section', section: 'runs' }];
      // Whether commands are confined comes first: it decides what an approval means.
      return s.sandbox ? [{ kind: 'sandbox', view: toSandboxView(s.sandbox, vscode.l10n.t) }, ...sections] : sections;
    }
    if (!s) return [];
    if (node.kind === 'cost') return [...(node.children ?? [])];
    if (node.kind !== 'section') return [];
    const usd = (n: number) => `$${n.toFixed(4)}`;
    switch (node.section) {
      case 'providers':
        return s.providers.length ? s.providers.map((breaker) => ({ kind: 'breaker', scope: 'provider', breaker })) : [{ kind: 'empty', label: vscode.l10n.t('No provider used yet') }];
      case 'tools':
        return s.tools.length ? s.tools.map((breaker) => ({ kind: 'breaker', scope: 'tool', breaker })) : [{ kind: 'empty', label: vscode.l10n.t('No tool used yet') }];
      case 'costs':
        return [
          { kind: 'cost', label: vscode.l10n.t('Total'), detail: s.costs.budgetUsd === null ? usd(s.costs.totalUsd) : `${usd(s.costs.totalUsd)} / ${usd(s.costs.budgetUsd)}` },
          { kind: 'cost', label: vscode.l10n.t('Today (UTC)'), detail: usd(s.costs.todayUsd) },
          { kind: 'cost', label: vscode.l10n.t('By agent'), detail: '', children: Object.entries(s.costs.byAgent).map(([k, v]) => ({ kind: 'cost', label: k, detail: usd(v) })) },
          { kind: 'cost', label: vscode.l10n.t('By model'), detail: '', children: Object.entries(s.costs.byModel).map(([k, v]) => ({ kind: 'cost', label: k, detail: usd(v) })) },
        ];
      case 'runs': {
        const open = s.runs.filter((r) => r.status === 'running' || r.status === 'waiting_on_human' || r.status === 'interrupted' || r.status === 'damaged');
        return open.length ? open.map((r) => ({ kind: 'run', runId: r.runId, agent: r.agent, status: r.status, prompt: r.prompt })) : [{ kind: 'empty', label: vscode.l10n.t('No active or paused runs') }];
      }
    }
  }

  dispose(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.coalesce) clearTimeout(this.coalesce);
    for (const s of this.subscriptions) s.dispose();
    this._onDidChangeTreeData.dispose();
  }
}

export type StatusNode = Node;
