import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeHarness, type Harness } from './harness';

describe('file tools', () => {
  let h: Harness;
  beforeEach(() => (h = makeHarness()));
  afterEach(() => h.cleanup());

  it('reads a file inside the workspace without asking', async () => {
    h.file('a.txt', 'alpha\n');
    const { prepared, outcome } = await h.run('read', { path: 'a.txt' }, { by: 'policy' });
    assert.equal(prepared.decision.kind, 'allow');
    assert.deepEqual(outcome, { status: 'ok', output: 'alpha\n', truncated: false });
  });

  it('reports a binary file instead of dumping it', async () => {
    fs.writeFileSync(path.join(h.root, 'b.bin'), Buffer.from([0x89, 0x50, 0x00, 0x01, 0xff]));
    const { outcome } = await h.run('read', { path: 'b.bin' }, { by: 'policy' });
    assert.equal(outcome.status, 'ok');
    assert.match(outcome.status === 'ok' ? outcome.output : '', /binary file \(5 bytes\)/);
  });

  it('caps long output by lines with an explicit marker', async () => {
    h.file('long.txt', Array.from({ length: 5000 }, (_, i) => `line ${i}`).join('\n'));
    const { outcome } = await h.run('read', { path: 'long.txt' }, { by: 'policy' });
    assert.equal(outcome.status === 'ok' && outcome.truncated, true);
    assert.match(outcome.status === 'ok' ? outcome.output : '', /\[output truncated: showing 2000 of 5000 lines/);
  });

  it('edit fails clearly when old_string is not found', async () => {
    h.file('e.txt', 'one two\n');
    const prepared = await h.prepare('edit', { path: 'e.txt', old_string: 'three', new_string: 'x' });
    assert.match(prepared.invalid ?? '', /old_string was not found in e\.txt/);
    const outcome = await h.engine.execute(prepared, { by: 'policy' }, new AbortController().signal);
    assert.equal(outcome.status, 'error');
    assert.equal(fs.readFileSync(path.join(h.root, 'e.txt'), 'utf8'), 'one two\n');
  });

  it('edit says how many matches make old_string ambiguous', async () => {
    h.file('e.txt', 'x = 1\nx = 1\nx = 1\n');
    const prepared = await h.prepare('edit', { path: 'e.txt', old_string: 'x = 1', new_string: 'x = 2' });
    assert.match(prepared.invalid ?? '', /occurs 3 times/);
  });

  it('edit with replace_all replaces every occurrence and keeps $ literal', async () => {
    h.file('e.txt', 'a a a');
    const { prepared, outcome } = await h.run('edit', { path: 'e.txt', old_string: 'a', new_string: '$&b', replace_all: true });
    assert.equal(prepared.decision.kind, 'ask');
    assert.equal(outcome.status, 'ok');
    assert.equal(fs.readFileSync(path.join(h.root, 'e.txt'), 'utf8'), '$&b $&b $&b');
  });

  it('write asks with a unified diff and the real path', async () => {
    h.file('w.txt', 'old\n');
    const prepared = await h.prepare('write', { path: 'w.txt', content: 'new\n' });
    assert.equal(prepared.decision.kind, 'ask');
    assert.equal(prepared.approval?.tool, 'write');
    if (prepared.approval?.tool === 'write') {
      assert.equal(prepared.approval.change?.path, path.join(h.root, 'w.txt'));
      assert.match(prepared.approval.change?.diff ?? '', /-old\n\+new/);
    }
    assert.equal(prepared.previousContent, 'old\n');
  });

  it('write without approval does not run', async () => {
    const prepared = await h.prepare('write', { path: 'n.txt', content: 'x' });
    const outcome = await h.engine.execute(prepared, { by: 'policy' }, new AbortController().signal);
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'n.txt')), false);
  });

  it('an atomic write keeps the file mode and leaves no temp file', async () => {
    const p = h.file('script.sh', '#!/bin/sh\n');
    fs.chmodSync(p, 0o751);
    const { outcome } = await h.run('write', { path: 'script.sh', content: '#!/bin/sh\necho hi\n' });
    assert.equal(outcome.status, 'ok');
    assert.equal(fs.statSync(p).mode & 0o777, 0o751);
    assert.deepEqual(fs.readdirSync(h.root), ['script.sh']);
  });

  it('refuses a write when the file changed since approval', async () => {
    const p = h.file('c.txt', 'v1');
    const prepared = await h.prepare('write', { path: 'c.txt', content: 'mine' });
    fs.writeFileSync(p, 'someone else');
    const outcome = await h.engine.execute(prepared, { by: 'user' }, new AbortController().signal);
    assert.equal(outcome.status, 'error');
    assert.match(outcome.status === 'error' ? outcome.error : '', /changed since approval/);
    assert.equal(fs.readFileSync(p, 'utf8'), 'someone else');
  });

  it('checkApplied tells applied, not applied and changed apart', async () => {
    const p = h.file('k.txt', 'before');
    const prepared = await h.prepare('write', { path: 'k.txt', content: 'after' });
    assert.equal(await h.engine.checkApplied(prepared), 'not_applied');
    await h.engine.execute(prepared, { by: 'user' }, new AbortController().signal);
    assert.equal(await h.engine.checkApplied(prepared), 'applied');
    fs.writeFileSync(p, 'third');
    assert.equal(await h.engine.checkApplied(prepared), 'changed');
  });

  it('append adds to the end', async () => {
    h.file('log.txt', 'a\n');
    await h.run('write', { path: 'log.txt', content: 'b\n', append: true });
    assert.equal(fs.readFileSync(path.join(h.root, 'log.txt'), 'utf8'), 'a\nb\n');
  });

  it('invalid arguments become an error for the model, not a crash', async () => {
    const prepared = await h.prepare('read', { file: 'x' });
    assert.match(prepared.invalid ?? '', /Invalid arguments for read/);
  });

  it('list_dir marks folders, files and links', async () => {
    h.file('src/a.ts');
    fs.symlinkSync('src/a.ts', path.join(h.root, 'link'));
    const { outcome } = await h.run('list_dir', { path: '.', recursive: true }, { by: 'policy' });
    assert.equal(outcome.status === 'ok' ? outcome.output : '', '[l] link\n[d] src/\n[f] src/a.ts');
  });
});
