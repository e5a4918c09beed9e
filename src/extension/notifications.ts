import * as vscode from 'vscode';
import type { CoreEvent, EscalationChoice, EscalationRequest } from '../core/index';
import type { SessionAccess } from './sessionAccess';

/**
 * The `escalate` fallback's question: the agent cannot answer, what now? The buttons offered are the
 * request's choices (Degrade only when a degrade target is configured). Dismissing the notification,
 * or the run being stopped, answers Cancel — a run never waits on a notification nobody sees.
 */
export async function askEscalation(request: EscalationRequest): Promise<EscalationChoice> {
  const labels: Record<EscalationChoice, string> = { retry: vscode.l10n.t('Retry'), degrade: vscode.l10n.t('Degrade'), cancel: vscode.l10n.t('Cancel') };
  const shown = vscode.window.showWarningMessage(vscode.l10n.t('@{0} could not answer: {1}', request.agent, request.reason), ...request.choices.map((c) => labels[c]));
  const stopped = new Promise<undefined>((resolve) => {
    if (request.signal.aborted) resolve(undefined);
    request.signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  const pick = await Promise.race([shown, stopped]);
  return request.choices.find((c) => labels[c] === pick) ?? 'cancel';
}

/** Notifications for what needs the user's attention: budget warnings, breakers that open, escalations. */
export class Notifications implements vscode.Disposable {
  private readonly subscription: vscode.Disposable;
  private readonly warnedBudgets = new Set<string>();

  constructor(
    access: SessionAccess,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.subscription = access.onEvent((e) => this.onEvent(e));
  }

  private onEvent(e: CoreEvent): void {
    switch (e.type) {
      case 'budget_warning': {
        const key = `${e.scope}:${e.name ?? ''}`;
        if (this.warnedBudgets.has(key)) return;
        this.warnedBudgets.add(key);
        const who = e.scope === 'agent' ? vscode.l10n.t('Agent {0}', e.name ?? '?') : vscode.l10n.t('This workspace');
        void vscode.window.showWarningMessage(vscode.l10n.t('{0} has spent ${1} of its ${2} budget.', who, e.spentUsd.toFixed(2), e.budgetUsd.toFixed(2)), vscode.l10n.t('Show Costs')).then((pick) => {
          if (pick) void vscode.commands.executeCommand('breakwater.showStatus');
        });
        return;
      }
      case 'budget_refused':
        void vscode.window.showErrorMessage(vscode.l10n.t('Budget reached: ${0} of ${1}. Calls are refused until the budget is raised.', e.spentUsd.toFixed(2), e.budgetUsd.toFixed(2)));
        return;
      case 'breaker_transition':
        this.log.info(`breaker ${e.scope} ${e.name}: ${e.from} → ${e.to}${e.reason ? ` (${e.reason})` : ''}`);
        if (e.to === 'open') {
          void vscode.window.showWarningMessage(vscode.l10n.t('Circuit breaker opened for {0}: {1}', e.name, e.reason ?? vscode.l10n.t('too many failures')), vscode.l10n.t('Show')).then((pick) => {
            if (pick) void vscode.commands.executeCommand('breakwater.status.focus');
          });
        }
        return;
      case 'fallback_used':
        this.log.info(`fallback ${e.strategy} for ${e.agent}: ${e.detail}`);
        // escalate asks through `askEscalation` (the core waits for that answer); nothing to show here.
        return;
      case 'provider_failure':
        this.log.warn(`${e.name}: ${e.kind} — ${e.message}${e.willRetry ? ` (retry ${e.attempt} in ${e.retryInMs ?? 0} ms)` : ''}`);
        return;
      default:
        return;
    }
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
