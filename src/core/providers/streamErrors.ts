import type { ProviderKind } from '../config/schema';
import { ProviderError } from './errors';
import { type HeaderSource, toProviderError } from './errorMapping';
import type { StreamEvent } from './types';

/**
 * Runs a provider's event generator and turns every failure into a `ProviderError`, remembering the text
 * already yielded so a failure after it is `stream_broken` with `partialText` (the caller must discard it
 * rather than show it twice). `headers` reports the attempt's response headers, for SDKs whose errors lack them.
 */
export async function* withMappedErrors(
  provider: ProviderKind,
  signal: AbortSignal | undefined,
  events: AsyncIterable<StreamEvent>,
  headers: () => HeaderSource | undefined = () => undefined,
): AsyncGenerator<StreamEvent> {
  if (signal?.aborted) throw toProviderError(signal.reason, { provider, signal });
  let partialText = '';
  try {
    for await (const event of events) {
      if (event.type === 'text') partialText += event.text;
      yield event;
    }
  } catch (error) {
    throw toProviderError(error, { provider, signal, partialText, headers: headers() });
  }
}

/** The stream ended without its closing frame: the connection was cut cleanly mid-answer. */
export function truncatedStream(provider: ProviderKind, missing: string): ProviderError {
  return new ProviderError('network', `${provider}: the connection closed before ${missing}`);
}
