import * as path from 'node:path';

/**
 * Where everything durable lives. The store is one folder, never inside the workspace by default: for
 * the CLI `$XDG_STATE_HOME/breakwater/<workspace hash>` (`~/.local/state/breakwater/…`; `--store` or
 * `BREAKWATER_STORE` override it, and an old `<workspace>/.breakwater/runs` is moved there on first use,
 * see `src/cli/storeLocation.ts`), in VS Code the extension's workspace storage (configurable). Run logs
 * can hold what a user approved once (a secret a tool read), so agents' commands never see the store:
 * the OS sandbox hides it wherever it is. Everything the CLI runs share — breaker state, costs, the audit
 * ledger — is in it, so a script that calls the CLI in a loop sees the same breakers and budgets as the
 * last invocation.
 */
export class StoreLayout {
  constructor(readonly root: string) {}

  /** The append-only JSONL event log of one run. */
  runLog(runId: string): string {
    return path.join(this.root, `${runId}.jsonl`);
  }

  /** The run index: a cache of per-run summaries, rebuilt from the logs when missing or stale. */
  get runIndex(): string {
    return path.join(this.root, 'state', 'runs-index.json');
  }

  /** Folder holding the content each write/edit of a run replaced, for Undo. */
  backups(runId: string): string {
    return path.join(this.root, 'backups', runId);
  }

  /** Provider breaker state as versions before the shared state kept it: taken into `sharedState` once, then removed. */
  get breakers(): string {
    return path.join(this.root, 'state', 'breakers.json');
  }

  /** Tool breaker state as versions before the shared state kept it: taken into `sharedState` once, then removed. */
  get toolBreakers(): string {
    return path.join(this.root, 'state', 'tool-breakers.json');
  }

  /**
   * The shared state (limiter windows, breakers, budget reservations) that every process using this store
   * appends to and folds: a folder of log segments (see `state/fileState.ts`).
   */
  get sharedState(): string {
    return path.join(this.root, 'state', 'shared');
  }

  /** Append-only cost ledger (JSONL): the workspace and per-agent budgets are sums over it. */
  get costLedger(): string {
    return path.join(this.root, 'state', 'costs.jsonl');
  }

  /** Append-only audit ledger of failures, breaker transitions and fallbacks. */
  get auditLedger(): string {
    return path.join(this.root, 'state', 'audit.jsonl');
  }

  /** Last good answers for the `cache` fallback. */
  get answerCache(): string {
    return path.join(this.root, 'state', 'answer-cache.json');
  }

  /** Readable per-agent transcripts derived from the run logs (`logs/<agent>.md`). */
  transcript(agent: string): string {
    return path.join(this.root, 'logs', `${agent}.md`);
  }
}
