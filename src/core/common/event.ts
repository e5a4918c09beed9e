import { Disposable, toDisposable } from './lifecycle';

/** A subscribe function, as in VS Code: `const sub = onDidChange(listener)`; `sub.dispose()` unsubscribes. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

/**
 * Fires events to listeners. A listener that throws does not stop the others; the error goes to
 * `onListenerError` (by default re-thrown asynchronously so it is reported, never swallowed).
 */
export class Emitter<T> implements Disposable {
  private listeners = new Set<(e: T) => void>();
  private disposed = false;

  constructor(private readonly onListenerError: (err: unknown) => void = (err) => queueMicrotask(() => { throw err; })) {}

  readonly event: Event<T> = (listener) => {
    if (this.disposed) return toDisposable(() => undefined);
    this.listeners.add(listener);
    return toDisposable(() => this.listeners.delete(listener));
  };

  fire(e: T): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  get hasListeners(): boolean {
    return this.listeners.size > 0;
  }

  dispose(): void {
    this.disposed = true;
    this.listeners.clear();
  }
}
