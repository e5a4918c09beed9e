import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Event } from '../common/event';
import type { Disposable } from '../common/lifecycle';
import { loadConfig, type LoadedConfig } from './loader';

export type ConfigReload = { readonly ok: true; readonly loaded: LoadedConfig } | { readonly ok: false; readonly error: unknown };

export interface ConfigWatcherOptions {
  /** Quiet period before reloading after a change, in milliseconds; defaults to 150 ms (editors write in bursts). */
  readonly debounceMs?: number;
}

/**
 * Reloads the agents file when it changes (or appears, or disappears). Watches the folder, not the
 * file, so a file created later or replaced by an atomic save is still seen. A reload that fails keeps
 * the previous config in use; the failure is reported through `onDidReload`.
 */
export class ConfigWatcher implements Disposable {
  private readonly _onDidReload = new Emitter<ConfigReload>();
  readonly onDidReload: Event<ConfigReload> = this._onDidReload.event;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly file: string,
    private readonly options: ConfigWatcherOptions = {},
  ) {
    const dir = path.dirname(file);
    try {
      this.watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(file)) this.schedule();
      });
      this.watcher.on('error', (error) => this._onDidReload.fire({ ok: false, error }));
    } catch {
      // The folder does not exist yet: nothing to watch; the default config stays in use.
      this.watcher = undefined;
    }
  }

  get watching(): boolean {
    return this.watcher !== undefined;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      loadConfig(this.file).then(
        (loaded) => this._onDidReload.fire({ ok: true, loaded }),
        (error: unknown) => this._onDidReload.fire({ ok: false, error }),
      );
    }, this.options.debounceMs ?? 150);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this._onDidReload.dispose();
  }
}
