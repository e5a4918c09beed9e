import type { ToolCallState } from '../runs/runState';

/**
 * Stops a model that keeps calling the same tool with the same arguments: returns a message when the
 * last `repeats` calls of the run are identical, otherwise undefined.
 */
export function loopGuard(calls: readonly ToolCallState[], repeats: number): string | undefined {
  if (calls.length < repeats) return undefined;
  const tail = calls.slice(-repeats);
  const key = (c: ToolCallState) => `${c.tool}\u0000${stableJson(c.args)}`;
  const [head] = tail;
  if (head === undefined) return undefined;
  const first = key(head);
  if (!tail.every((c) => key(c) === first)) return undefined;
  return `loop guard: the model called ${head.tool} with the same arguments ${repeats} times in a row, so the run was stopped (settings.loop_guard_repeats = ${repeats}). Rephrase the prompt or check why the tool's answer does not satisfy it.`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}
