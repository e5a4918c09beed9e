import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseShell, parseWithMvdan } from '../../../src/core/sandbox/shellParser';
import { readShellScript } from '../../../src/core/sandbox/shellScript';

describe('shell reading', () => {
  it('loads mvdan/sh from node_modules and counts statements like it', async () => {
    const file = await parseWithMvdan('a; b && c | d\nif x; then y; fi');
    assert.equal(file.Stmts.length, 3);
    assert.equal(readShellScript('a; b && c | d\nif x; then y; fi').topLevelStatements, 3);
  });

  it('finds every simple command across operators, groups and substitutions', () => {
    const s = readShellScript('a 1 && (b; { c; }) | d $(e `f`) || while g; do h; done');
    assert.deepEqual(s.commands.map((c) => c.words[0]?.value).sort(), ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  });

  it('removes quotes and keeps expansions unknown', () => {
    const [cmd] = readShellScript(`echo 'a b' "c\\"d" e\\ f $HOME`).commands;
    assert.deepEqual(cmd.words.map((w) => w.value), ['echo', 'a b', 'c"d', 'e f', null]);
  });

  it('reports a parse error as needing approval, not as a crash', async () => {
    const r = await parseShell('echo "open');
    assert.equal(r.ok, false);
  });

  it('never throws anything but its own error on random input (fuzz)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40, unit: fc.constantFrom('a', ' ', ';', '&', '|', '(', ')', '$', '`', '"', "'", '\\', '<', '>', '{', '}', '\n', '#', '=', '*') }), async (s) => {
        const r = await parseShell(s);
        if (r.ok) for (const c of r.script.commands) assert.ok(Array.isArray(c.words));
      }),
      { numRuns: 150 },
    );
  });
});
