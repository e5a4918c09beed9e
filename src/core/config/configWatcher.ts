import * as fs from 'node:fs';
import * as path from 'node:path';
import { Emitter, type Event } from '../common/event';
import type { Disposable } from '../common/lifecycle';
import { loadConfig, type LoadedConfig } from './loader';

export type ConfigReload = { readonly ok: true; readonly loaded: LoadedConfig } | { readonly ok: false; readonly error: unknown };

export interface ConfigWatcherOptions {
  /** Quiet period before reloading after a change, in milliseconds; defaults to 150 ms (editors write in bursts). */
  readonly debounceMs?: number;
  /** Loads the config after a change; defaults to `loadConfig` of the first file. */
  readonly load?: () => Promise<LoadedConfig>;
}

/**
 * Reloads the config when one of its files (the workspace's agents file, the user's) changes, appears or
 * disappears. Watches each file's folder, not the file, so a file created later or replaced by an atomic save is
 * still seen. A reload that fails keeps the previous config in use; the failure is reported through `onDidReload`.
 */
export class ConfigWatcher implements Disposable {
  private readonly _onDidReload = new Emitter<ConfigReload>();
  readonly onDidReload: Event<ConfigReload> = this._onDidReload.event;
  private readonly watchers: fs.FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly load: () => Promise<LoadedConfig>;

  constructor(
    files: string | readonly string[],
    private readonly options: ConfigWatcherOptions = {},
  ) {
    const list = typeof files === 'string' ? [files] : files;
    const [first] = list;
    if (first === undefined && options.load === undefined) throw new Error('a config watcher needs at least one file to watch');
    this.load = options.load ?? (() => loadConfig(first ?? ''));
    const byDir = new Map<string, Set<string>>();
    for (const file of list) byDir.set(path.dirname(file), (byDir.get(path.dirname(file)) ?? new Set()).add(path.basename(file)));
    for (const [dir, names] of byDir) {
      try {
        const watcher = fs.watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name)) this.schedule();
        });
        watcher.on('error', (error) => this._onDidReload.fire({ ok: false, error }));
        this.watchers.push(watcher);
      } catch {
        // The folder does not exist yet: nothing to watch there; the files that exist are still watched.
      }
    }
  }

  get watching(): boolean {
    return this.watchers.length > 0;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.load().then(
        (loaded) => this._onDidReload.fire({ ok: true, loaded }),
        (error: unknown) => this._onDidReload.fire({ ok: false, error }),
      );
    }, this.options.debounceMs ?? 150);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.watchers) w.close();
    this._onDidReload.dispose();
  }
}
