/** Epoch milliseconds. Injected everywhere time matters so tests use fake timers. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
