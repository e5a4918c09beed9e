import * as assert from 'node:assert/strict';
import type { BreakwaterTestApi } from '../../../src/extension/extension';
import type { HostMessage, HostMessageOf } from '../../../src/protocol/messages';

/**
 * Waits until a chat protocol message posted after index `from` has `type` and matches (a run keeps
 * posting while it waits for approval, so the first message of a type is not always the one wanted).
 */
export async function nextMessage<K extends HostMessage['type']>(
  api: BreakwaterTestApi,
  from: number,
  type: K,
  match: (m: HostMessageOf<K>) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<HostMessageOf<K>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = api.chatMessages.slice(from).find((m): m is HostMessageOf<K> => m.type === type && match(m as HostMessageOf<K>));
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`no ${type} message within ${timeoutMs} ms; got: ${api.chatMessages.slice(from).map((m) => m.type).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
