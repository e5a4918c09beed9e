import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { isBudgetExceededError, BudgetExceededError } from '../../../src/core/cost/budget';
import { fallbackSchema } from '../../../src/core/config/schema';
import { ProviderError } from '../../../src/core/providers/errors';
import { AnswerCache } from '../../../src/core/resilience/answerCache';
import { CircuitOpenError } from '../../../src/core/resilience/errors';
import { isFallbackUnavailableError, runWithFallback, type EscalationChoice, type FallbackContext } from '../../../src/core/resilience/fallback';
import { splitPrompt } from '../../../src/core/resilience/splitPrompt';
import { recordingBus } from './helpers';
import { must } from '../../fixtures/must';

const outage = () => new CircuitOpenError('anthropic@https://api.anthropic.com', 'open', Date.now() + 30_000, Date.now());
const failing = async (): Promise<string> => {
  throw outage();
};

describe('fallback strategies', () => {
  let clock: sinon.SinonFakeTimers;
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-fallback-'));
    clock = sinon.useFakeTimers({ now: 50_000_000, toFake: ['Date'] });
  });
  afterEach(async () => {
    clock.restore();
    await fs.rm(dir, { recursive: true, force: true });
  });

  const context = async (overrides: Partial<FallbackContext> = {}) => {
    const rec = recordingBus();
    const { cache } = await AnswerCache.open({ file: path.join(dir, 'answer-cache.json'), clock: () => Date.now() });
    const calls: string[] = [];
    const ctx: FallbackContext = {
      agentName: 'writer',
      prompt: 'Summarise the report',
      runAgent: async (agent, prompt) => {
        calls.push(`agent ${agent}: ${prompt}`);
        return `${agent} says ok`;
      },
      runModel: async (model, prompt) => {
        calls.push(`model ${model}: ${prompt}`);
        return `${model} says ok`;
      },
      askUser: async () => 'cancel',
      cache,
      events: rec.bus,
      signal: new AbortController().signal,
      clock: () => Date.now(),
      ...overrides,
    };
    return { ctx, calls, cache, ...rec };
  };

  it('passes the primary answer through untouched when it succeeds', async () => {
    const { ctx, of } = await context();
    const out = await runWithFallback(async () => 'fresh', fallbackSchema.parse({ strategy: 'degrade', agent: 'cheap' }), ctx);
    assert.deepEqual(out, { kind: 'primary', text: 'fresh' });
    assert.equal(of('fallback_used').length, 0);
  });

  it('cache: serves the last good answer for the same agent and prompt, marked as cached, and persists it', async () => {
    const { ctx, of } = await context();
    const config = fallbackSchema.parse({ strategy: 'cache', max_age: 600 });
    await runWithFallback(async () => 'the good answer', config, ctx);
    clock.tick(120_000);
    const out = await runWithFallback(failing, config, ctx);
    assert.equal(out.kind, 'cached');
    assert.equal(out.text, 'the good answer');
    assert.match(out.kind === 'cached' ? out.notice : '', /^Cached answer from 2 min ago — writer is unavailable/);
    assert.equal(must(of('fallback_used')[0], `of('fallback_used')[0]`).strategy, 'cache');
    // After a reload the cache is still there.
    const { cache: reopened } = await AnswerCache.open({ file: path.join(dir, 'answer-cache.json'), clock: () => Date.now() });
    assert.equal(reopened.get('writer', 'Summarise the report', 600_000)?.text, 'the good answer');
  });

  it('cache: an answer older than max_age, or to another prompt, is not used', async () => {
    const { ctx } = await context();
    const config = fallbackSchema.parse({ strategy: 'cache', max_age: 60 });
    await runWithFallback(async () => 'old', config, ctx);
    clock.tick(61_000);
    await assert.rejects(runWithFallback(failing, config, ctx), (e: unknown) => isFallbackUnavailableError(e) && e.reason === 'no_cached_answer' && e.cause instanceof CircuitOpenError);
    const other = await context({ prompt: 'another prompt' });
    await assert.rejects(runWithFallback(failing, config, other.ctx), isFallbackUnavailableError);
  });

  it('degrade: hands the prompt to the named cheaper agent, marked', async () => {
    const { ctx, calls } = await context();
    const out = await runWithFallback(failing, fallbackSchema.parse({ strategy: 'degrade', agent: 'cheap' }), ctx);
    assert.deepEqual(calls, ['agent cheap: Summarise the report']);
    assert.equal(out.kind === 'degraded' && out.notice.startsWith('Answered by the fallback agent "cheap"'), true);
    assert.equal(out.text, 'cheap says ok');
  });

  it('degrade: or to a cheaper model, after retries were exhausted', async () => {
    const { ctx, calls } = await context();
    const exhausted = async (): Promise<string> => {
      throw new ProviderError('overloaded', 'anthropic: overloaded (HTTP 529)', { status: 529 });
    };
    const out = await runWithFallback(exhausted, fallbackSchema.parse({ strategy: 'degrade', model: 'haiku' }), ctx);
    assert.deepEqual(out.kind === 'degraded' && out.to, { model: 'haiku' });
    assert.deepEqual(calls, ['model haiku: Summarise the report']);
  });

  it('never hides failures that are the user\'s to fix: auth, bad request, budget', async () => {
    const { ctx, calls } = await context();
    const config = fallbackSchema.parse({ strategy: 'degrade', agent: 'cheap' });
    for (const err of [new ProviderError('auth', 'bad key'), new ProviderError('bad_request', 'bad'), new BudgetExceededError('workspace', undefined, 1, 1, 0.1, 'x')]) {
      await assert.rejects(runWithFallback(async () => { throw err; }, config, ctx), (e: unknown) => e === err);
    }
    assert.deepEqual(calls, []);
    assert.ok(isBudgetExceededError(new BudgetExceededError('agent', 'a', 1, 1, 1, 'x')));
  });

  it('escalate: asks the user; "retry" runs the primary again', async () => {
    const asked: EscalationChoice[][] = [];
    const { ctx } = await context({
      askUser: async (req) => {
        asked.push([...req.choices]);
        return 'retry';
      },
    });
    let n = 0;
    const out = await runWithFallback(async () => (++n === 1 ? failing() : 'recovered'), fallbackSchema.parse({ strategy: 'escalate' }), ctx);
    assert.deepEqual(out, { kind: 'primary', text: 'recovered' });
    assert.deepEqual(asked, [['retry', 'cancel']]);
  });

  it('escalate: "degrade" goes to the configured cheaper agent; "cancel" stops with the cause kept', async () => {
    const degrading = await context({ askUser: async () => 'degrade' });
    const out = await runWithFallback(failing, fallbackSchema.parse({ strategy: 'escalate', agent: 'cheap' }), degrading.ctx);
    assert.equal(out.kind, 'degraded');
    const cancelling = await context({ askUser: async () => 'cancel' });
    await assert.rejects(runWithFallback(failing, fallbackSchema.parse({ strategy: 'escalate' }), cancelling.ctx), (e: unknown) => isFallbackUnavailableError(e) && e.reason === 'cancelled' && e.cause instanceof CircuitOpenError);
  });

  it('escalate: stops asking after the user retried maxRetriesByUser times', async () => {
    let asks = 0;
    const { ctx } = await context({ askUser: async () => (asks++, 'retry'), maxRetriesByUser: 2 });
    await assert.rejects(runWithFallback(failing, fallbackSchema.parse({ strategy: 'escalate' }), ctx), (e: unknown) => isFallbackUnavailableError(e) && e.reason === 'gave_up');
    assert.equal(asks, 3);
  });

  it('decompose: splits the work into at most max_parts prompts, runs them one by one and joins the answers', async () => {
    const prompt = 'Review module A.\n\nReview module B.\n\nReview module C.';
    const order: string[] = [];
    const calls: string[] = [];
    let running = 0;
    const { ctx, of } = await context({
      prompt,
      runAgent: async (agent, part) => {
        assert.equal(running, 0, 'parts run one at a time');
        running++;
        await Promise.resolve();
        order.push(must(part.split('\n\n')[1], `part.split('\\n\\n')[1]`));
        calls.push(agent);
        running--;
        return `done: ${part.split('\n\n')[1]}`;
      },
    });
    const out = await runWithFallback(failing, fallbackSchema.parse({ strategy: 'decompose', max_parts: 3 }), ctx);
    assert.equal(out.kind, 'decomposed');
    assert.deepEqual(order, ['Review module A.', 'Review module B.', 'Review module C.']);
    assert.deepEqual(calls, ['writer', 'writer', 'writer']);
    assert.match(out.text, /### Part 2 of 3\n\ndone: Review module B\./);
    assert.match(must(of('fallback_used')[0], `of('fallback_used')[0]`).detail, /split into 3 parts/);
  });

  it('decompose: a context_too_long failure triggers it too; a prompt with no seams cannot be split', async () => {
    const { ctx } = await context({ prompt: 'one single instruction' });
    const tooLong = async (): Promise<string> => {
      throw new ProviderError('context_too_long', 'prompt is too long');
    };
    await assert.rejects(runWithFallback(tooLong, fallbackSchema.parse({ strategy: 'decompose' }), ctx), (e: unknown) => isFallbackUnavailableError(e) && e.reason === 'cannot_split');
  });
});

describe('splitPrompt', () => {
  it('keeps every unit, in order, in at most maxParts parts', () => {
    const units = Array.from({ length: 10 }, (_, i) => `Paragraph ${i}${' x'.repeat(i * 3)}`);
    const parts = splitPrompt(units.join('\n\n'), 4);
    assert.equal(parts.length, 4);
    assert.deepEqual(parts.join('\n\n').split('\n\n'), units);
  });

  it('falls back to lines, then sentences', () => {
    assert.deepEqual(splitPrompt('a\nb', 4), ['a', 'b']);
    assert.deepEqual(splitPrompt('First do this. Then do that.', 4), ['First do this.', 'Then do that.']);
    assert.deepEqual(splitPrompt('nothing to split', 4), ['nothing to split']);
  });
});
