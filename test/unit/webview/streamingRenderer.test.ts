import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import sinon from 'sinon';
import { StreamingRenderer, type RenderScheduler } from '../../../src/webview/streamingRenderer';
import type { MarkdownRenderer } from '../../../src/webview/markdown';

describe('streaming renderer', () => {
  let clock: sinon.SinonFakeTimers;
  let scheduler: RenderScheduler;
  const rendered: string[] = [];
  const markdown: MarkdownRenderer = {
    render: (text) => {
      rendered.push(text);
      return `<p>${text.length}</p>`;
    },
    sanitize: (html) => html,
  };

  beforeEach(() => {
    clock = sinon.useFakeTimers();
    scheduler = { now: () => clock.now, setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as number) };
    rendered.length = 0;
  });
  afterEach(() => clock.restore());

  function make(onRender?: (ms: number) => void) {
    const { document } = new JSDOM('<div id="c"></div>').window;
    const container = document.getElementById('c') as unknown as HTMLElement;
    return { container, renderer: new StreamingRenderer(container, markdown, { scheduler, minIntervalMs: 50, ...(onRender ? { onRender } : {}) }) };
  }

  it('renders at most 20 times per second however fast tokens arrive', () => {
    const { renderer } = make();
    // 300 tokens per second for 10 s, one token every ~3.3 ms.
    for (let i = 0; i < 3000; i++) {
      renderer.append('tok ');
      clock.tick(10 / 3);
    }
    renderer.flush();
    assert.ok(renderer.renderCount <= 10 * 20 + 1, `${renderer.renderCount} renders`);
    assert.ok(renderer.renderCount >= 10 * 20 - 5, `${renderer.renderCount} renders: it must keep rendering while streaming`);
  });

  it('re-renders only the open tail, so finished blocks are rendered once', () => {
    const { renderer, container } = make();
    renderer.append('first paragraph\n\nsecond');
    clock.tick(60);
    renderer.append(' grows');
    clock.tick(60);
    renderer.append(' more');
    renderer.flush();
    assert.equal(rendered.filter((t) => t.includes('first paragraph')).length, 1);
    assert.deepEqual(rendered.slice(-1), ['second grows more']);
    assert.equal(container.querySelectorAll('.bw-md-block').length, 1);
  });

  it('does not render when nothing changed, and flush renders what is pending', () => {
    const { renderer } = make();
    renderer.append('a');
    assert.equal(renderer.renderCount, 0);
    renderer.flush();
    assert.equal(renderer.renderCount, 1);
    renderer.flush();
    clock.tick(1000);
    assert.equal(renderer.renderCount, 1);
  });

  it('discard removes what was shown and forgets the text', () => {
    const { renderer, container } = make();
    renderer.append('block\n\npartial');
    renderer.flush();
    renderer.discard();
    assert.equal(renderer.text, '');
    assert.equal(container.textContent, '');
    renderer.append('again');
    renderer.flush();
    assert.equal(rendered.at(-1), 'again');
  });
});
