/**
 * The fake LLM server the harness starts as its own process (scripts/host/fakeLlmProcess.ts), seen from a host test:
 * its URL arrives in BREAKWATER_FAKE_LLM_URL; scripts go in through its `/__control/*` API.
 */
export const fakeLlmEnvVar = 'BREAKWATER_FAKE_LLM_URL';

/** The fake server's base URL (also the Anthropic base URL and the Ollama host; OpenAI is `${url}/v1`). */
export function fakeLlmUrl(): string {
  const url = process.env[fakeLlmEnvVar];
  if (!url) throw new Error(`${fakeLlmEnvVar} is not set: run host tests through npm run test:host, which starts the fake LLM server`);
  return url;
}

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${fakeLlmUrl()}/__control/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`fake LLM control ${path}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

/** Queues scripted answers (see test/fixtures/fake-llm FakeScript), optionally for one protocol only. */
export async function enqueueFakeAnswers(scripts: readonly unknown[], protocol?: 'anthropic' | 'openai' | 'ollama'): Promise<void> {
  await control('enqueue', { ...(protocol ? { protocol } : {}), scripts });
}

/** Every request the fake server received since the last reset. */
export async function fakeLlmRequests(): Promise<unknown[]> {
  const body = (await control('requests')) as { requests: unknown[] };
  return body.requests;
}

/** Served when the queue is empty; undefined restores the fake's default (a 500 saying no answer was scripted). */
export async function setFakeDefault(script: unknown): Promise<void> {
  await control('default', { script });
}

export async function resetFakeLlm(): Promise<void> {
  await control('reset', {});
}
