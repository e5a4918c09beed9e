import Anthropic from '@anthropic-ai/sdk';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startFakeLlm } from '../../test/fixtures/fake-llm';
import type { CoreEvent } from '../../src/core/common/coreEvents';
import { type BenchResult, type BenchSuite, quick, sampleInterleaved } from '../harness';
import { startLastByteProxy } from '../support/lastByteProxy';
import { loadProductionModule } from '../support/productionBundle';

type TurnModule = typeof import('../support/turnEntry');

const SAMPLES = quick() ? 9 : 31;
const MODEL = 'claude-haiku-4-5';
/** A typical short answer: ~700 characters streamed 4 characters per frame (~175 SSE deltas). */
const REPLY = `Here is the change.\n\n${'The parser now keeps its state in one place, and the tests cover the edge cases. '.repeat(8)}`;

/**
 * End-to-end turn overhead: from the moment the fake LLM server's last byte leaves (seen by a TCP proxy
 * in front of it) to the answer being complete in the core, for (1) `ResilientModelGateway.call` — budget
 * reservation, policy, SDK stream, assembly, pricing, cost ledger — and (2) a whole agent run
 * (`Breakwater.ask`), which also writes and fsyncs the run log; against the bare Anthropic SDK streaming
 * the same scripted reply through the same proxy.
 */
export const suite: BenchSuite = {
  name: 'turn',
  async run(): Promise<BenchResult[]> {
    const m = await loadProductionModule<TurnModule>('bench/support/turnEntry.ts');
    const fake = await startFakeLlm();
    const proxy = await startLastByteProxy(Number(new URL(fake.url).port));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-bench-turn-'));
    const cleanups: (() => unknown)[] = [() => fake.close(), () => proxy.close(), () => fs.rmSync(dir, { recursive: true, force: true })];
    try {
      fake.setDefault({ kind: 'reply', text: REPLY, usage: { input: 40, output: 180 } });
      const secrets = m.fixedKeys([{ provider: 'anthropic', value: 'bench-key', origin: proxy.url }]);
      const settings = { rate_limit_per_minute: 100_000, default_provider: 'anthropic', default_model: MODEL };
      const config = m.configSchema.parse({ settings, providers: { anthropic: { base_url: proxy.url } }, agents: { assistant: { role: 'You are terse.', tools: [] } } });
      const gateway = await m.ResilientModelGateway.open({ config, store: new m.StoreLayout(path.join(dir, 'gateway')), secrets, events: new m.Emitter<CoreEvent>(), env: {} });
      cleanups.unshift(() => gateway.flush());

      const workspace = path.join(dir, 'ws');
      fs.mkdirSync(path.join(workspace, '.breakwater'), { recursive: true });
      const configFile = path.join(workspace, '.breakwater', 'agents.yaml');
      fs.writeFileSync(configFile, `settings:\n  rate_limit_per_minute: 100000\n  default_provider: anthropic\n  default_model: ${MODEL}\nagents:\n  assistant:\n    role: You are terse.\n    tools: []\n`);
      const bw = await m.createBreakwater({ workspaceFolders: [workspace], storeDir: path.join(dir, 'store'), configFile, secrets, trusted: true, ripgrepPath: 'rg', env: { ANTHROPIC_BASE_URL: proxy.url } });
      cleanups.unshift(() => bw.dispose());

      const sdk = new Anthropic({ apiKey: 'bench-key', baseURL: proxy.url, maxRetries: 0 });
      const signal = new AbortController().signal;
      const afterLastByte = (call: () => Promise<string>) => async (): Promise<number> => {
        const text = await call();
        const done = performance.now();
        if (text !== REPLY) throw new Error(`the answer came back as ${JSON.stringify(text.slice(0, 80))}…`);
        return done - proxy.lastByteAt;
      };
      const s = await sampleInterleaved(
        {
          sdk: afterLastByte(async () => {
            const stream = await sdk.messages.create({ model: MODEL, max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal });
            let text = '';
            for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
            return text;
          }),
          gateway: afterLastByte(async () => {
            const turn = await gateway.call({ provider: 'anthropic', model: MODEL }, { system: 'You are terse.', messages: [{ role: 'user', text: 'hi' }], tools: [], maxTokens: 1024 }, { agentName: 'assistant', signal });
            return turn.text;
          }),
          agent: afterLastByte(async () => {
            const state = await bw.ask('assistant', 'hi');
            if (state.status !== 'completed') throw new Error(`the agent run ended ${state.status}`);
            return state.output;
          }),
        },
        SAMPLES,
      );
      const baseline = { name: 'bare SDK stream', figure: s.sdk };
      const note = `${REPLY.length}-character reply in 4-character SSE deltas from the fake Anthropic server on 127.0.0.1`;
      return [
        { name: 'turn: last byte → ModelGateway.call resolved', unit: 'ms', figure: s.gateway, baseline, note },
        { name: 'turn: last byte → agent run completed (Breakwater.ask)', unit: 'ms', figure: s.agent, baseline, note: `${note}; includes the fsync'd run-log events after the answer` },
      ];
    } finally {
      for (const fn of cleanups) await fn();
    }
  },
};
