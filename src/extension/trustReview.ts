import { confirmedFoldersSchema, trustFolderKey, type ConfirmedFolders, type Confirmations, type SensitiveValue } from '../core/index';

/** What the user decided about the workspace file's unconfirmed values before a run. */
export type TrustReview = { readonly proceed: true; readonly confirmed: number } | { readonly proceed: false; readonly reason: string };

/** The answer to one question: use the value (and remember that), leave it unused in this window, or stop. */
export type TrustAnswer = 'allow' | 'ignore' | undefined;

/** Where the confirmations live (VS Code: `globalState`, user scope, this machine). */
export interface ConfirmationRecord {
  read(): unknown;
  write(all: ConfirmedFolders): PromiseLike<void>;
}

/**
 * The extension's side of workspace trust for agents.yaml, without VS Code (so it is tested in Node): confirmations
 * per folder and exact value, and the questions asked before a run that would use them. `trustModal.ts` gives it the
 * real modal and `globalState`.
 */
export class TrustReviewer implements Confirmations {
  /** Values the user chose to ignore in this window (asked again in a new window, or when the value changes). */
  private readonly ignored = new Set<string>();

  constructor(
    private readonly record: ConfirmationRecord,
    private readonly ask: (value: SensitiveValue) => PromiseLike<TrustAnswer>,
    private readonly log: { info(message: string): void; warn(message: string): void } = { info: () => undefined, warn: () => undefined },
  ) {}

  isConfirmed(folder: string, key: string, hash: string): boolean {
    return this.read()[trustFolderKey(folder)]?.[key]?.hash === hash;
  }

  async confirm(folder: string, values: readonly SensitiveValue[]): Promise<void> {
    const all = this.read();
    const entries = (all[trustFolderKey(folder)] ??= {});
    const at = new Date().toISOString();
    for (const v of values) entries[v.key] = { hash: v.hash, value: v.display, confirmed_at: at };
    await this.record.write(all);
  }

  /**
   * Asks about each unconfirmed value: `allow` records it, `ignore` leaves it unused for this window, no answer (the
   * modal dismissed) stops the operation before anything is sent.
   */
  async review(folder: string, pending: readonly SensitiveValue[]): Promise<TrustReview> {
    let confirmed = 0;
    for (const value of pending) {
      const id = `${trustFolderKey(folder)}\u0000${value.hash}`;
      if (value.status !== 'unconfirmed' || this.ignored.has(id)) continue;
      const answer = await this.ask(value);
      if (answer === 'allow') {
        await this.confirm(folder, [value]);
        confirmed++;
        this.log.info(`Confirmed ${value.key} = ${value.display} for ${folder} (from ${value.file})`);
      } else if (answer === 'ignore') {
        this.ignored.add(id);
        this.log.info(`Ignoring ${value.key} = ${value.display} of ${value.file} in this window`);
      } else {
        return { proceed: false, reason: `Not started: ${value.key} in ${value.file} was neither allowed nor ignored.` };
      }
    }
    return { proceed: true, confirmed };
  }

  private read(): ConfirmedFolders {
    const raw = this.record.read();
    if (raw === undefined) return {};
    const parsed = confirmedFoldersSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    this.log.warn(`The stored confirmations of workspace values are unreadable; none counts as confirmed (${parsed.error.issues[0]?.message ?? 'invalid'})`);
    return {};
  }
}
