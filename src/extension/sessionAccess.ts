import type * as vscode from 'vscode';
import type { CoreEvent } from '../core/index';
import type { CoreSession } from './coreSession';

/**
 * How the activation bundle's views (the status tree, the status bar, notifications) reach the
 * session in the lazily loaded bundle: they subscribe at activation, before it exists, and read it
 * only once it does. Types only: implemented in extension.ts, which loads the session on first use.
 */
export interface SessionAccess {
  /** The session if its bundle is loaded; never loads it. */
  readonly current: CoreSession | undefined;
  /** Loads the core bundle and opens the core (first real use). */
  load(): Promise<CoreSession>;
  /** The core's process-wide events (breakers, costs, runs changing status). */
  readonly onEvent: vscode.Event<CoreEvent>;
  /** A core was opened (first use, or again after trust was granted). */
  readonly onDidOpen: vscode.Event<void>;
}
