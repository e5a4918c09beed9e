import * as assert from 'node:assert/strict';
import { PriceTable } from '../../../src/core/cost/priceTable';

const usage = (inputTokens: number, outputTokens: number, cacheReadTokens = 0, cacheCreationTokens = 0) => ({ inputTokens, outputTokens, cacheReadTokens, cacheCreationTokens });
const cents = (usd: number) => Math.round(usd * 100);

describe('PriceTable', () => {
  const table = new PriceTable();

  it('prices a Sonnet call to the cent, cache reads at 0.1× and cache writes at 1.25× input', () => {
    // 200k input at $3, 100k output at $15, 1M cache read at $0.30, 400k cache write at $3.75.
    const usd = table.cost('anthropic', 'claude-sonnet-4-5-20250929', usage(200_000, 100_000, 1_000_000, 400_000));
    assert.equal(cents(usd), 60 + 150 + 30 + 150);
  });

  it('prices GPT-4o with its cached-input rate', () => {
    // 1M fresh input at $2.50, 1M cached at $1.25, 500k output at $10.
    assert.equal(cents(table.cost('openai', 'gpt-4o-2024-08-06', usage(1_000_000, 500_000, 1_000_000))), 250 + 125 + 500);
  });

  it('distinguishes Opus 4.1 from Opus 4.5 and Haiku 4.5', () => {
    assert.equal(table.lookup('anthropic', 'claude-opus-4-1-20250805').price.input, 15);
    assert.equal(table.lookup('anthropic', 'claude-opus-4-5').price.output, 25);
    assert.deepEqual(table.lookup('anthropic', 'claude-haiku-4-5-20251001').price, { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 });
  });

  it('prices a newer id of a known family like the family, and says so', () => {
    const l = table.lookup('anthropic', 'claude-sonnet-4-6');
    assert.equal(l.source, 'family');
    assert.equal(l.price.input, 3);
    assert.equal(table.lookup('openai', 'gpt-5.4-mini').matched, 'gpt-5*-mini');
  });

  it('prices an unknown model at the provider\'s most expensive rate so budgets stay safe', () => {
    const l = table.lookup('openai', 'some-new-thing');
    assert.equal(l.source, 'unknown');
    assert.equal(l.price.output, 60);
  });

  it('Ollama is free', () => {
    assert.equal(table.cost('ollama', 'llama3.1', usage(1e6, 1e6)), 0);
  });

  it('settings.prices overrides by full model id, defaulting cache rates to the input rate', () => {
    const custom = new PriceTable({ 'gpt-4o': { input: 1, output: 2 }, 'llama3.1': { input: 0.5, output: 0.5, cache_read: 0.1 } });
    assert.equal(cents(custom.cost('openai', 'gpt-4o', usage(1e6, 1e6, 1e6))), 100 + 200 + 100);
    assert.equal(custom.lookup('ollama', 'llama3.1').price.cacheRead, 0.1);
    assert.equal(custom.lookup('openai', 'gpt-4o').source, 'override');
  });
});
