import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import { type BenchResult, type BenchSuite, quick, spread } from '../harness';
import type { RenderBenchResult, RenderRecord } from '../webview/renderBenchPage';

const repoRoot = path.resolve(__dirname, '..', '..');
const CHROMIUM = process.env.BREAKWATER_CHROMIUM ?? '/usr/bin/chromium';
/** No network of its own: no updates, sync, QUIC or component downloads. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const TOKENS_PER_SECOND = 300;
const DURATION_MS = quick() ? 20_000 : 60_000;
/** The windows compared for growth with conversation length: the first and the last this many ms. */
const WINDOW_MS = quick() ? 5_000 : 10_000;

async function bundlePage(): Promise<string> {
  const result = await esbuild.build({
    entryPoints: [path.join(__dirname, '..', 'webview', 'renderBenchPage.ts')],
    bundle: true,
    minify: true,
    write: false,
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
    logLevel: 'warning',
    legalComments: 'none',
  });
  return result.outputFiles[0]!.text;
}

function rendersPerSecond(renders: readonly RenderRecord[], elapsedMs: number): number[] {
  const bins = new Array<number>(Math.floor(elapsedMs / 1000)).fill(0);
  for (const r of renders) if (r.at < bins.length * 1000) bins[Math.floor(r.at / 1000)]!++;
  return bins;
}

/**
 * The chat webview's streaming renderer in real Chromium: a conversation streamed at 300 tokens/s for
 * 60 s (20 s with BENCH_QUICK=1) through ChatView, as the webview runs it (bundled from src/webview like
 * dist/webview.js, every message validated). Reports renders per second, ms per render, and render time
 * in the first vs the last window (it must not grow with the conversation).
 */
export const suite: BenchSuite = {
  name: 'webview-render',
  async run(): Promise<BenchResult[]> {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}; install it (scripts/setup.sh) or set BREAKWATER_CHROMIUM`);
    const script = await bundlePage();
    const css = fs.readFileSync(path.join(repoRoot, 'media', 'chat.css'), 'utf8');
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 480, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.setContent(`<!doctype html><html><head><meta charset="utf-8"><style>${css}</style></head><body><div id="app"></div></body></html>`);
      await page.addScriptTag({ content: script });
      const r: RenderBenchResult = await page.evaluate((o) => window.runRenderBench(o), { durationMs: DURATION_MS, tokensPerSecond: TOKENS_PER_SECOND, tickMs: 10 });
      if (errors.length > 0) throw new Error(`the page threw: ${errors.join('; ')}`);
      if (r.renders.length === 0) throw new Error('no render happened');
      const seconds = r.elapsedMs / 1000;
      const first = r.renders.filter((x) => x.at < WINDOW_MS).map((x) => x.ms);
      const last = r.renders.filter((x) => x.at >= r.elapsedMs - WINDOW_MS).map((x) => x.ms);
      const lastChars = r.renders[r.renders.length - 1]!.chars;
      const what = `${TOKENS_PER_SECOND} tokens/s of markdown with code blocks for ${seconds.toFixed(0)} s: ${r.tokens} tokens in ${r.deltas} deltas, ${r.answers} answers, ${r.renders.length} renders`;
      return [
        {
          name: 'webview-render: renders per second',
          unit: 'renders/s',
          figure: spread(rendersPerSecond(r.renders, r.elapsedMs)),
          baseline: { name: 'deltas/s arriving (one render each, unthrottled)', figure: spread([r.deltas / seconds]) },
          bar: { on: 'figure', max: 20, unit: 'renders/s' },
          note: what,
        },
        {
          name: 'webview-render: ms per render (markdown + sanitize + highlight + DOM)',
          unit: 'ms',
          figure: spread(r.renders.map((x) => x.ms)),
          baseline: { name: 'full re-render of one whole answer', figure: spread(r.fullRenderMs) },
          bar: { on: 'figure', max: 4, unit: 'ms' },
          note: what,
        },
        {
          name: `webview-render: ms per render, last ${WINDOW_MS / 1000} s vs first ${WINDOW_MS / 1000} s`,
          unit: 'ms',
          figure: spread(last),
          baseline: { name: `first ${WINDOW_MS / 1000} s`, figure: spread(first) },
          note: `no growth with conversation length means a ratio near 1; the conversation had ${lastChars} characters at the end`,
        },
      ];
    } finally {
      await browser.close();
    }
  },
};
