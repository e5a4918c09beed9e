import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findStableBoundary, MarkdownBlockSplitter } from '../../../src/webview/markdownBlocks';

describe('markdown block splitter', () => {
  it('cuts after a blank line outside a fence', () => {
    assert.equal(findStableBoundary('para one\n\npara two is grow'), 'para one\n\n'.length);
  });

  it('never cuts inside an open fence, even at a blank line', () => {
    assert.equal(findStableBoundary('```js\nconst a = 1;\n\nconst b'), 0);
  });

  it('cuts right after a closing fence of the same kind and length', () => {
    const text = '~~~~\n```\nstill code\n~~~~\nafter';
    assert.equal(findStableBoundary(text), text.indexOf('after'));
  });

  it('ignores an incomplete last line', () => {
    assert.equal(findStableBoundary('a\n\n'), 3);
    assert.equal(findStableBoundary('a\n'), 0);
  });

  it('stable chunks plus the tail always rebuild the text, however it is split into deltas', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', ' ', '\n', '```', '~~~', 'x\n\n', '`'), { maxLength: 80 }), fc.integer({ min: 1, max: 7 }), (parts, step) => {
        const text = parts.join('');
        const splitter = new MarkdownBlockSplitter();
        let stable = '';
        let tail = '';
        for (let i = 0; i < text.length; i += step) {
          splitter.append(text.slice(i, i + step));
          const taken = splitter.take();
          stable += taken.stable;
          tail = taken.tail;
        }
        assert.equal(stable + tail, text);
      }),
    );
  });
});
