import * as vscode from 'vscode';
import type { CoreEvent } from '../core/common/coreEvents';
import type { CoreFacade } from './coreFacade';

/**
 * Creates the core on first use, not at activation (activation must stay cheap), and relays its
 * events through a VS Code emitter that the tree, the status bar and the notifications can
 * subscribe to before the core exists.
 */
export class CoreHost implements vscode.Disposable {
  private pending: Promise<CoreFacade> | undefined;
  private core: CoreFacade | undefined;
  private subscription: { dispose(): void } | undefined;
  private readonly _onEvent = new vscode.EventEmitter<CoreEvent>();
  readonly onEvent = this._onEvent.event;
  private readonly _onDidCreate = new vscode.EventEmitter<CoreFacade>();
  readonly onDidCreate = this._onDidCreate.event;

  constructor(private readonly factory: () => Promise<CoreFacade>) {}

  /** The core, created now if it was not yet. A failed creation is not cached: the next call tries again. */
  get(): Promise<CoreFacade> {
    if (!this.pending) {
      this.pending = this.factory().then(
        (core) => {
          this.core = core;
          this.subscription = core.events((e) => this._onEvent.fire(e));
          this._onDidCreate.fire(core);
          return core;
        },
        (err: unknown) => {
          this.pending = undefined;
          throw err;
        },
      );
    }
    return this.pending;
  }

  /**
   * Drops the current core (after workspace trust is granted the core must be rebuilt with
   * `trusted: true`); the next `get()` creates a new one. Recreated now if one existed, so the
   * tree and the status bar keep showing state.
   */
  async recreate(): Promise<CoreFacade | undefined> {
    const had = this.pending !== undefined;
    const old = this.pending;
    this.pending = undefined;
    this.core = undefined;
    this.subscription?.dispose();
    this.subscription = undefined;
    if (old) await old.then((c) => c.dispose(), () => undefined);
    return had ? this.get() : undefined;
  }

  /** The core if it exists; never creates it (for things that only show state). */
  get current(): CoreFacade | undefined {
    return this.core;
  }

  dispose(): void {
    this.subscription?.dispose();
    this.core?.dispose();
    this._onEvent.dispose();
    this._onDidCreate.dispose();
  }
}
