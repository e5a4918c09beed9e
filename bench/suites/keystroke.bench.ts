import type { FrameLocator, Locator, Page } from 'playwright-core';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BenchResult, type BenchSuite, quick, spread } from '../harness';

/** Keystrokes per phase (idle chat, then while the answer streams). */
const KEYSTROKES = quick() ? 25 : 60;
/**
 * A token is ~4 characters ("word" and a space). The fake server writes a frame of TOKENS_PER_FRAME tokens, then
 * waits TOKEN_DELAY_MS (a 1 ms timer fires ~500 times a second here): ~1 000 tokens/s. The note says what arrived.
 */
const TOKEN = 'word';
const TOKENS_PER_FRAME = 2;
const TOKEN_DELAY_MS = 1;
/** Long enough to outlast the keystrokes of the streaming phase (the bench checks it did). */
const STREAM_TOKENS = quick() ? 40_000 : 80_000;
const END_MARK = 'STREAM-END-MARK';

/**
 * Keystroke-to-paint in the chat webview of the real VS Code host (code-server + headless Chromium), while the
 * fake LLM server streams an answer at ~1 000 tokens/s, against the same measurement in the idle chat in the same
 * window. Only the UI is driven: keys are pressed through Playwright and the webview's own DOM is read.
 *
 * Per keystroke: from the keydown event's timestamp (when the browser created it, so time spent queued behind a
 * busy webview counts) to the animation frame that follows the textarea's `input` event with the character in it.
 */
export const suite: BenchSuite = {
  name: 'keystroke',
  async run(): Promise<BenchResult[]> {
    const { startFakeLlmProcess } = await import('../../scripts/host/fakeLlmProcess');
    const { chatFrame, openBreakwater, startWorkbench } = await import('../../test/e2e/support/workbench');
    const fake = await startFakeLlmProcess();
    try {
      // The sample workspace's agents.yaml names no endpoint (nothing to confirm); the key comes from the environment.
      const wb = await startWorkbench({ fakeLlm: false, env: { ANTHROPIC_API_KEY: 'sk-ant-bench', ANTHROPIC_BASE_URL: fake.url } });
      try {
        await openBreakwater(wb.page);
        const chat = chatFrame(wb.page);
        const box = chat.locator('textarea');
        await box.waitFor({ timeout: 60_000 });
        await chat.locator('select[aria-label="Agent"] option', { hasText: 'assistant' }).first().waitFor({ state: 'attached', timeout: 30_000 });
        await instrument(box);

        const idle = await keystrokes(wb.page, box, KEYSTROKES);

        const text = `${Array.from({ length: STREAM_TOKENS }, (_, i) => (i % 40 === 39 ? `${TOKEN}\n\n` : `${TOKEN} `)).join('')}${END_MARK}`;
        const res = await fetch(`${fake.url}/__control/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'anthropic', scripts: [{ kind: 'reply', text, chunkSize: (TOKEN.length + 1) * TOKENS_PER_FRAME, tokenDelayMs: TOKEN_DELAY_MS }] }) });
        if (res.status !== 200) throw new Error(`fake LLM enqueue: ${res.status} ${await res.text()}`);
        await box.fill('stream a long answer');
        await box.press('Enter');
        // The answer is arriving: some of it is on screen.
        await chat.locator('.bw-log', { hasText: `${TOKEN} ${TOKEN} ${TOKEN} ${TOKEN} ${TOKEN}` }).first().waitFor({ timeout: 60_000 });
        const c0 = await shownChars(chat);
        const t0 = Date.now();
        const streaming = await keystrokes(wb.page, box, KEYSTROKES);
        const c1 = await shownChars(chat);
        const seconds = (Date.now() - t0) / 1000;
        if ((await chat.locator('.bw-log', { hasText: END_MARK }).count()) > 0) {
          throw new Error(`the answer finished streaming before the last keystroke: raise STREAM_TOKENS (${STREAM_TOKENS})`);
        }
        const tokensPerSecond = (c1 - c0) / (TOKEN.length + 1) / seconds;
        return [
          {
            name: 'keystroke: keystroke-to-paint in the chat while an answer streams',
            unit: 'ms',
            figure: spread(streaming),
            baseline: { name: 'the same in the idle chat', figure: spread(idle) },
            bar: { on: 'p90', max: 50, unit: 'ms' },
            note: `code-server + headless Chromium; ${KEYSTROKES} keystrokes per phase; the chat showed ~${Math.round(tokensPerSecond)} tokens/s during them (sent: ${TOKENS_PER_FRAME} tokens of ${TOKEN.length + 1} chars per frame, a frame every ${TOKEN_DELAY_MS} ms or so)`,
          },
        ];
      } finally {
        await wb.close();
      }
    } finally {
      await fake.stop();
    }
  },
};

/** Records, per keydown in the textarea, the time until the animation frame after its `input` event. */
async function instrument(box: Locator): Promise<void> {
  await box.evaluate((el) => {
    const w = window as unknown as { __bwKeyLatency: number[] };
    w.__bwKeyLatency = [];
    el.addEventListener(
      'keydown',
      (e) => {
        const start = e.timeStamp;
        const key = (e as KeyboardEvent).key;
        el.addEventListener(
          'input',
          () => {
            const value = (el as HTMLTextAreaElement).value;
            requestAnimationFrame(() => {
              if (value.endsWith(key)) w.__bwKeyLatency.push(performance.now() - start);
            });
          },
          { once: true },
        );
      },
      true,
    );
  });
}

/** Types `n` characters into the chat box, one at a time at irregular intervals; returns each one's latency (ms). */
async function keystrokes(page: Page, box: Locator, n: number): Promise<number[]> {
  await box.fill('');
  await box.focus();
  const before = await box.evaluate(() => (window as unknown as { __bwKeyLatency: number[] }).__bwKeyLatency.length);
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('x');
    // Wait for this one to be painted before the next, then a pause (40–120 ms) so keys land at varied moments.
    const deadline = Date.now() + 10_000;
    while ((await box.evaluate(() => (window as unknown as { __bwKeyLatency: number[] }).__bwKeyLatency.length)) < before + i + 1) {
      if (Date.now() > deadline) throw new Error(`keystroke ${i + 1} never showed in the chat box`);
      await sleep(5);
    }
    await sleep(40 + ((i * 37) % 80));
  }
  const all = await box.evaluate(() => (window as unknown as { __bwKeyLatency: number[] }).__bwKeyLatency);
  await box.fill('');
  return all.slice(before, before + n);
}

async function shownChars(chat: FrameLocator): Promise<number> {
  return chat.locator('.bw-log').evaluate((el) => el.textContent?.length ?? 0);
}
