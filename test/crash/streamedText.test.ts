import * as assert from 'node:assert/strict';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { eventsOf, makeWorkspace, onlyRunId, runBuiltCli } from './cliProcess';

/**
 * A streamed answer reaches the log once per turn: however many deltas the provider sends, the run log gets one
 * `assistant_message` with the whole text, and no event per delta (a real CLI process against the fake LLM server).
 */
describe('streamed text in the run log', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();

  it('400 one-character deltas make one assistant_message and no other event', async () => {
    const ws = makeWorkspace('agents:\n  a:\n    role: You answer.\n    provider: anthropic\n    model: sonnet\n    tools: []\n');
    const text = Array.from({ length: 400 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    llm.enqueue({ kind: 'reply', text, chunkSize: 1 });
    const r = await runBuiltCli(['--agent', 'a', '--prompt', 'talk', '--json'], { cwd: ws, env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json<{ output: string }>().output, text);
    const events = eventsOf(ws, onlyRunId(ws));
    assert.deepEqual(events.map((e) => e.type), ['run_started', 'llm_call_started', 'llm_call_completed', 'assistant_message', 'run_completed']);
    const message = events.find((e) => e.type === 'assistant_message');
    assert.equal(message?.type === 'assistant_message' ? message.payload.text : undefined, text);
  });
});
