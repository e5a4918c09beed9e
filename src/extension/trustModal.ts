import * as vscode from 'vscode';
import { PROVIDER_KINDS } from '../core/config/schema';
import { trustFolderKey, type Confirmations, type SensitiveValue } from '../core/config/trust';
import { confirmedFoldersSchema, type ConfirmedFolders } from '../core/config/trustStore';
import { ENDPOINT_FIELD } from '../core/config/userScope';
import { PROVIDER_LABEL } from '../core/providers/keyBinding';

const t = vscode.l10n.t;
/** The globalState key of the confirmations: user scope, this machine only (never synced: paths are per machine). */
const STATE_KEY = 'breakwater.confirmedWorkspaceValues';

/** What the user decided about the workspace file's unconfirmed values before a run. */
export type TrustReview = { readonly proceed: true; readonly confirmed: number } | { readonly proceed: false; readonly reason: string };

/**
 * Workspace trust for agents.yaml in VS Code (PRODUCT.md, "Config"): confirmations per folder and exact value in
 * `globalState`, and the modal that asks for them before a run that would use them. Never asks in Restricted Mode,
 * where the core does not use the workspace's sensitive values at all.
 */
export class ConfigTrust implements Confirmations {
  /** Values the user chose to ignore in this window (asked again after a reload of the window or a changed value). */
  private readonly ignored = new Set<string>();

  constructor(
    private readonly state: vscode.Memento,
    private readonly log: vscode.LogOutputChannel,
    /** Shows one modal; resolves with the button picked (undefined: dismissed). The real modal unless a test injects one. */
    private readonly ask: (message: string, detail: string, buttons: readonly string[]) => Thenable<string | undefined> = (message, detail, buttons) =>
      vscode.window.showWarningMessage(message, { modal: true, detail }, ...buttons),
  ) {}

  isConfirmed(folder: string, key: string, hash: string): boolean {
    return this.read()[trustFolderKey(folder)]?.[key]?.hash === hash;
  }

  async confirm(folder: string, values: readonly SensitiveValue[]): Promise<void> {
    const all = this.read();
    const entries = (all[trustFolderKey(folder)] ??= {});
    const at = new Date().toISOString();
    for (const v of values) entries[v.key] = { hash: v.hash, value: v.display, confirmed_at: at };
    await this.state.update(STATE_KEY, all);
  }

  /**
   * Asks about each unconfirmed value (`Allow` records it; `Ignore` leaves it unused for this window); dismissing a
   * modal stops the run before it starts. Nothing is asked in Restricted Mode.
   */
  async review(folder: string, pending: readonly SensitiveValue[]): Promise<TrustReview> {
    if (!vscode.workspace.isTrusted) return { proceed: true, confirmed: 0 };
    const allow = t('Allow');
    const ignore = t('Ignore It');
    let confirmed = 0;
    for (const value of pending) {
      const id = `${trustFolderKey(folder)}\u0000${value.hash}`;
      if (value.status !== 'unconfirmed' || this.ignored.has(id)) continue;
      const { message, detail } = describe(value);
      const answer = await this.ask(message, detail, [allow, ignore]);
      if (answer === allow) {
        await this.confirm(folder, [value]);
        confirmed++;
        this.log.info(`Confirmed ${value.key} = ${value.display} for ${folder} (from ${value.file})`);
      } else if (answer === ignore) {
        this.ignored.add(id);
        this.log.info(`Ignoring ${value.key} = ${value.display} of ${value.file} in this window`);
      } else {
        return { proceed: false, reason: t('Not started: {0} in {1} was neither allowed nor ignored.', value.key, value.file) };
      }
    }
    return { proceed: true, confirmed };
  }

  private read(): ConfirmedFolders {
    const raw = this.state.get<unknown>(STATE_KEY);
    if (raw === undefined) return {};
    const parsed = confirmedFoldersSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    this.log.warn(`The stored confirmations of workspace values are unreadable; none counts as confirmed (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return {};
  }
}

/** The modal's words: the file, the key and the value, and what allowing it does. */
export function describe(value: SensitiveValue): { message: string; detail: string } {
  const where = value.line === undefined ? value.file : t('{0}, line {1}', value.file, value.line);
  const provider = PROVIDER_KINDS.find((k) => ENDPOINT_FIELD[k].join('.') === value.key);
  const message = provider
    ? t('Send your {0} key and prompts to {1}?', PROVIDER_LABEL[provider], value.display)
    : t('Allow this workspace to set {0} to {1}?', value.key, value.display);
  const detail = t(
    '{0} sets {1} = {2}. This {3}. Allow it only if you trust this repository; Breakwater remembers your answer for this folder until the value changes. Ignore It runs without it.',
    where,
    value.key,
    value.display,
    value.why,
  );
  return { message, detail };
}
