import { ProviderError } from '../providers/errors';

export { systemClock, type Clock } from '../common/clock';

/** The error every cancelled wait rejects with: an `aborted` ProviderError keeping the abort reason. */
export function abortedError(signal: AbortSignal | undefined, what: string): ProviderError {
  return new ProviderError('aborted', `${what} was cancelled`, { cause: signal?.reason });
}

/** Waits `ms` milliseconds (timers are the global ones, so sinon fake timers drive them); cancellable. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal, 'waiting'));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortedError(signal, 'waiting'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
