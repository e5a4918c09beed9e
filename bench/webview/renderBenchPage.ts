/**
 * The chat view as the webview runs it (ChatView + the markdown-it/DOMPurify/highlight.js renderer, every
 * host message validated by the protocol schema), fed a streamed conversation at a fixed token rate.
 * Bundled by the webview-render suite and loaded in headless Chromium; `window.runRenderBench` returns
 * one record per render. Bench-only: the renderer's `render` is wrapped to time it.
 */
import DOMPurify from 'dompurify';
import { parseHostMessage, type HostMessage } from '../../src/protocol/messages';
import { emptyState } from '../../src/webview/chatState';
import { ChatView } from '../../src/webview/chatView';
import { createMarkdownRenderer } from '../../src/webview/markdown';
import { StreamingRenderer } from '../../src/webview/streamingRenderer';

export interface RenderRecord {
  /** ms since the stream started. */
  readonly at: number;
  readonly ms: number;
  /** Characters in the conversation so far. */
  readonly chars: number;
}

export interface RenderBenchResult {
  readonly renders: RenderRecord[];
  readonly deltas: number;
  readonly tokens: number;
  readonly elapsedMs: number;
  readonly answers: number;
  /** ms per full re-render of the last whole answer (what a renderer without the tail split would pay). */
  readonly fullRenderMs: number[];
}

const ANSWER = [
  '## Plan\n\nI read `src/parser.ts` and the tests. The tokenizer keeps **three** pieces of state; folding them into one makes the error paths simpler.\n\n',
  '1. Move the cursor into `ParserState`.\n2. Return a `Result` instead of throwing.\n3. Keep the public API the same.\n\n',
  '```ts\nexport interface ParserState {\n  readonly text: string;\n  offset: number;\n  line: number;\n}\n\nexport function next(state: ParserState): Token | undefined {\n  while (state.offset < state.text.length && /\\s/.test(state.text[state.offset]!)) {\n    if (state.text[state.offset] === "\\n") state.line++;\n    state.offset++;\n  }\n  return readToken(state);\n}\n```\n\n',
  'Then the tests, which now check the line numbers too:\n\n',
  '```python\ndef test_lines(parser):\n    tokens = list(parser.tokens("a\\nb\\n c"))\n    assert [t.line for t in tokens] == [1, 2, 3]\n    assert tokens[-1].column == 2\n```\n\n',
  'Run them with:\n\n```bash\nnpm test -- --grep parser && git diff --stat\n```\n\n',
  '> Note: the old `reset()` is gone; nothing called it outside the tests. See [the PR](https://example.invalid/pr/42).\n\n',
  '| file | change |\n| --- | --- |\n| `src/parser.ts` | state in one object |\n| `test/parser.test.ts` | line numbers |\n\nThat is all for this step.\n',
].join('');

/** ~4-character tokens, like a model's text deltas. */
function tokens(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += 4) out.push(text.slice(i, i + 4));
  return out;
}

declare global {
  interface Window {
    runRenderBench(options: { durationMs: number; tokensPerSecond: number; tickMs: number }): Promise<RenderBenchResult>;
  }
}

window.runRenderBench = async ({ durationMs, tokensPerSecond, tickMs }) => {
  const records: RenderRecord[] = [];
  let chars = 0;
  let start = performance.now();
  const proto = StreamingRenderer.prototype as unknown as { render: (this: StreamingRenderer) => void };
  const render = proto.render;
  proto.render = function timedRender(this: StreamingRenderer) {
    const t0 = performance.now();
    render.call(this);
    const t1 = performance.now();
    records.push({ at: t1 - start, ms: t1 - t0, chars });
  };

  const app = document.getElementById('app')!;
  const markdown = createMarkdownRenderer(DOMPurify);
  const view = new ChatView(app, emptyState(), markdown, () => undefined, () => undefined);
  const send = (message: HostMessage): void => {
    // As main.ts does: whatever arrives is validated before the view sees it.
    const parsed = parseHostMessage(JSON.parse(JSON.stringify(message)));
    if (!parsed.ok) throw new Error(`bench sent an invalid message: ${parsed.error}`);
    view.handle(parsed.message);
  };
  send({ type: 'init', agents: [{ name: 'dev', provider: 'anthropic', model: 'claude-sonnet-4-5', tools: ['read', 'grep'] }], defaultAgent: 'dev', trusted: true, disabledTools: [], configError: null });

  const answerTokens = tokens(ANSWER);
  let answers = 0;
  let inAnswer = 0;
  let runId = '';
  let sentTokens = 0;
  let deltas = 0;
  const startAnswer = (): void => {
    runId = `run-${++answers}`;
    inAnswer = 0;
    send({ type: 'userPrompt', text: `Step ${answers}: refactor the parser`, agent: 'dev' });
    send({ type: 'runStarted', runId, agent: 'dev', provider: 'anthropic', model: 'claude-sonnet-4-5', prompt: `Step ${answers}`, replay: false });
  };
  startAnswer();
  start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - start;
      const due = Math.min(Math.floor((elapsed / 1000) * tokensPerSecond), Math.ceil((durationMs / 1000) * tokensPerSecond));
      if (due > sentTokens) {
        // One delta per tick carries every token due, as the host batches what arrived since its last post.
        let text = '';
        for (; sentTokens < due; sentTokens++) {
          text += answerTokens[inAnswer++]!;
          if (inAnswer === answerTokens.length) break;
        }
        chars += text.length;
        send({ type: 'textDelta', runId, text });
        deltas++;
        if (inAnswer === answerTokens.length) {
          sentTokens++;
          send({ type: 'runFinished', runId, status: 'completed' });
          startAnswer();
        }
      }
      if (elapsed >= durationMs) resolve();
      else setTimeout(tick, tickMs);
    };
    tick();
  });
  const elapsedMs = performance.now() - start;
  send({ type: 'runFinished', runId, status: 'completed' });
  proto.render = render;

  const scratch = document.createElement('div');
  app.append(scratch);
  const fullRenderMs: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    scratch.innerHTML = markdown.render(ANSWER);
    fullRenderMs.push(performance.now() - t0);
  }
  scratch.remove();
  return { renders: records, deltas, tokens: sentTokens, elapsedMs, answers, fullRenderMs };
};
