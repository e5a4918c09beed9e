import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { type FakeLlm } from '../../fixtures/fake-llm/index';
import { openCore } from '../../fixtures/fake-llm/openCore';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { must } from '../../fixtures/must';

const NAMES = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'];

const open = (llm: FakeLlm, yaml: string) => openCore(llm, yaml, { prefix: 'bw-shared-', store: '.breakwater/runs' });

describe('orchestration over the real gateway and the fake LLM server', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();

  it('8 concurrent agents share one limiter and one breaker per provider endpoint', async () => {
    const agents = NAMES.map((n) => `  ${n}: { provider: anthropic }`).join('\n');
    const { bw } = await open(llm, `settings:\n  rate_limit_per_minute: 5\nagents:\n${agents}\n`);
    llm.setDefault({ kind: 'reply', text: 'ok' });
    const ctl = new AbortController();
    let completed = 0;
    const all = bw.askAll('hi', { signal: ctl.signal });
    all.onEvent(({ event }) => (completed += event.type === 'run_completed' ? 1 : 0));
    // Five go through the shared window; the other three must queue behind it, whichever agent they are.
    for (let i = 0; i < 200 && !(completed === 5 && bw.status().breakers.providers[0]?.rate_limit?.queued === 3); i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const status = bw.status();
    assert.equal(status.breakers.providers.length, 1, 'one policy for the endpoint');
    assert.equal(must(status.breakers.providers[0], 'status.breakers.providers[0]').rate_limit?.queued, 3);
    assert.equal(llm.requests.length, 5);
    ctl.abort(new Error('test over'));
    const results = await all;
    const statuses = [...results.values()].map((o) => (o.kind === 'run' ? o.state.status : 'error'));
    assert.equal(statuses.filter((s) => s === 'completed').length, 5);
    // Cancelled runs are interrupted (resumable), not finished.
    assert.equal(statuses.filter((s) => s === 'interrupted').length, 3);
    bw.dispose();
  });

  it('a degrade fallback answers when the provider keeps failing, with a visible notice', async () => {
    const { bw } = await open(llm, `settings:\n  max_retries: 0\nagents:\n  main:\n    provider: anthropic\n    fallback: { strategy: degrade, agent: cheap }\n  cheap:\n    provider: openai\n    model: gpt-4o-mini\n`);
    llm.enqueueFor('anthropic', { kind: 'http_error', status: 529 });
    llm.enqueueFor('openai', { kind: 'reply', text: 'cheap answer' });
    const s = await bw.ask('main', 'hi');
    assert.equal(s.status, 'completed');
    assert.match(s.output, /fallback agent "cheap"/);
    assert.match(s.output, /cheap answer/);
    const events = bw.layout.runLog(s.runId);
    assert.match(fs.readFileSync(events, 'utf8'), /"fallback_used"/);
    bw.dispose();
  });
});
