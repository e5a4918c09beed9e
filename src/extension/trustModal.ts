import * as vscode from 'vscode';
import { PROVIDER_KINDS } from '../core/index';
import { displayValue, type SensitiveValue } from '../core/index';
import { ENDPOINT_FIELD } from '../core/index';
import { PROVIDER_LABEL } from '../core/index';
import type { ModalPrompt } from './extension';
import { TrustReviewer, type TrustReview } from './trustReview';

const t = vscode.l10n.t;
/** The globalState key of the confirmations: user scope, this machine only (never synced: paths are per machine). */
const STATE_KEY = 'breakwater.confirmedWorkspaceValues';

/**
 * Workspace trust for agents.yaml in VS Code (README, "Workspace configuration and trust"): confirmations in `globalState`, and a modal
 * that names the file, the key and the value before a run would use it. Never asks in Restricted Mode, where the
 * core does not use the workspace's sensitive values at all.
 */
export function configTrust(context: vscode.ExtensionContext, log: vscode.LogOutputChannel, testAnswers?: { readonly answer?: ModalPrompt }): { readonly reviewer: TrustReviewer; review(folder: string, pending: readonly SensitiveValue[]): Promise<TrustReview> } {
  const allow = t('Allow');
  const ignore = t('Ignore It');
  const reviewer = new TrustReviewer(
    { read: () => context.globalState.get<unknown>(STATE_KEY), write: (all) => context.globalState.update(STATE_KEY, all) },
    async (value) => {
      const { message, detail } = describeValue(value);
      // Ignore It first: the button Enter presses is the one that sends nothing to the workspace's endpoint.
      const answer = testAnswers?.answer ? await testAnswers.answer(message, detail, [ignore, allow]) : await vscode.window.showWarningMessage(message, { modal: true, detail }, ignore, allow);
      return answer === allow ? 'allow' : answer === ignore ? 'ignore' : undefined;
    },
    log,
  );
  return {
    reviewer,
    review: (folder, pending) => (vscode.workspace.isTrusted ? reviewer.review(folder, pending) : Promise.resolve({ proceed: true, confirmed: 0 })),
  };
}

/** The modal's words: the file, the key and the value, and what allowing it does. */
export function describeValue(value: SensitiveValue): { message: string; detail: string } {
  // Control and bidirectional characters are spelled out in everything the modal shows.
  const [key, file] = [displayValue(value.key), displayValue(value.file)];
  const where = value.line === undefined ? file : t('{0}, line {1}', file, value.line);
  const provider = PROVIDER_KINDS.find((k) => ENDPOINT_FIELD[k].join('.') === value.key);
  const message = provider
    ? t('Send your {0} key and prompts to {1}?', PROVIDER_LABEL[provider], value.display)
    : t('Allow this workspace to set {0} to {1}?', key, value.display);
  const detail = t(
    '{0} sets {1} = {2}. This {3}. Allow it only if you trust this repository; Breakwater remembers your answer for this folder until the value changes. Ignore It runs without it.',
    where,
    key,
    value.display,
    value.why,
  );
  return { message, detail };
}
