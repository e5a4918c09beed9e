/** `value` if it is an Error, else an Error saying what was thrown (JavaScript can throw anything). */
export function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  let shown: string;
  try {
    shown = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  return new Error(`a non-Error value was thrown: ${shown}`, { cause: value });
}
