import { z } from 'zod';
import type { ProviderKind } from '../../../src/core/config/schema';
import { isProviderError, type ProviderError } from '../../../src/core/providers/errors';
import { fixedKeys } from '../../../src/core/providers/keyBinding';
import { createProvider } from '../../../src/core/providers/providerFactory';
import type { ChatRequest, LlmProvider, StreamEvent } from '../../../src/core/providers/types';
import type { FakeLlm } from '../../fixtures/fake-llm/index';

/** What a test needs to know about one provider run against the fake. */
export interface ProviderCase {
  readonly kind: ProviderKind;
  readonly model: string;
  make(fake: FakeLlm, apiKey?: string): LlmProvider;
}

export const CASES: readonly ProviderCase[] = [
  { kind: 'anthropic', model: 'claude-sonnet-5-5', make: (fake, apiKey = 'sk-ant-test') => createProvider('anthropic', { baseUrl: fake.url, secrets: fixedKeys([{ provider: 'anthropic', value: apiKey, origin: fake.url }]), env: {} }) },
  { kind: 'openai', model: 'gpt-4o', make: (fake, apiKey = 'sk-test') => createProvider('openai', { baseUrl: fake.openaiBaseUrl, secrets: fixedKeys([{ provider: 'openai', value: apiKey, origin: fake.url }]), env: {} }) },
  { kind: 'ollama', model: 'llama3.1', make: (fake) => createProvider('ollama', { baseUrl: fake.url, env: {} }) },
];

export const readTool = {
  name: 'read',
  description: 'Read a file of the workspace.',
  parameters: z.object({ path: z.string().min(1), maxLines: z.number().int().positive().default(200) }),
};
export const grepTool = {
  name: 'grep',
  description: 'Search the workspace.',
  parameters: z.object({ pattern: z.string(), path: z.string().default('.') }),
};

export function request(model: string, overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model, system: 'You are terse.', messages: [{ role: 'user', text: 'hi' }], tools: [readTool, grepTool], maxTokens: 256, ...overrides };
}

export interface Outcome {
  readonly events: StreamEvent[];
  readonly text: string;
  readonly error?: ProviderError;
}

/** Drains a stream; `onEvent` may act mid-stream (abort). Fails loudly if something other than a ProviderError is thrown. */
export async function drain(stream: AsyncIterable<StreamEvent>, onEvent: (e: StreamEvent) => void = () => undefined): Promise<Outcome> {
  const events: StreamEvent[] = [];
  try {
    for await (const event of stream) {
      events.push(event);
      onEvent(event);
    }
  } catch (error) {
    if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`, { cause: error });
    return { events, text: textOf(events), error };
  }
  return { events, text: textOf(events) };
}

const textOf = (events: StreamEvent[]): string => events.map((e) => (e.type === 'text' ? e.text : '')).join('');

/** Model-API requests only (health checks excluded), to count HTTP attempts. */
export const attempts = (fake: FakeLlm): number => fake.requests.filter((r) => r.method === 'POST').length;
