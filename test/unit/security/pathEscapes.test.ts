import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeHarness, type Harness } from '../tools/harness';

/**
 * Path escapes: each case asserts the decision AND that nothing happened on disk (the escape
 * target is untouched, no file was created, no secret was returned).
 */
describe('security: path escapes', () => {
  let h: Harness;
  const secret = 'TOP-SECRET-OUTSIDE';
  beforeEach(() => {
    h = makeHarness();
    fs.writeFileSync(path.join(h.outside, 'secret.txt'), secret);
  });
  afterEach(() => h.cleanup());

  const expectReadRefused = async (args: unknown, pattern: RegExp) => {
    const { prepared, outcome } = await h.run('read', args, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block', JSON.stringify(prepared.decision));
    assert.match(prepared.decision.reason, pattern);
    assert.equal(outcome.status, 'blocked');
    assert.doesNotMatch(JSON.stringify(outcome), new RegExp(secret));
  };
  const expectWriteRefused = async (rel: string, pattern: RegExp, created: string) => {
    const { prepared, outcome } = await h.run('write', { path: rel, content: 'pwned' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block', JSON.stringify(prepared.decision));
    assert.match(prepared.decision.reason, pattern);
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(created) && fs.readFileSync(created, 'utf8') === 'pwned', false);
  };

  it('traversal with ../ is refused for read', () => expectReadRefused({ path: '../app-evil/secret.txt' }, /outside the workspace/));
  it('deep traversal a/b/../../../ is refused for read', () => expectReadRefused({ path: 'a/b/../../../app-evil/secret.txt' }, /outside/));
  it('traversal with ../ is refused for write', () => expectWriteRefused('../app-evil/new.txt', /outside/, path.join(h.outside, 'new.txt')));
  it('an absolute path outside is refused', () => expectReadRefused({ path: '/etc/passwd' }, /outside/));
  it('an absolute path to the sibling folder is refused for write', () => expectWriteRefused(path.join(h.outside, 'x.txt'), /outside/, path.join(h.outside, 'x.txt')));

  it('~ is not expanded into the home folder', async () => {
    const { prepared } = await h.run('write', { path: '~/.bashrc', content: 'x' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'ask');
    assert.equal(prepared.approval?.change?.path, path.join(h.root, '~', '.bashrc'));
  });

  it('URL-encoded ..%2f stays a literal name inside the workspace', async () => {
    const prepared = await h.prepare('read', { path: '..%2fapp-evil%2fsecret.txt' });
    assert.match(prepared.invalid ?? '', /File not found/);
    assert.equal(fs.readFileSync(path.join(h.outside, 'secret.txt'), 'utf8'), secret);
  });

  it('%2e%2e/ is a folder named %2e%2e, never ..', async () => {
    const { prepared, outcome } = await h.run('write', { path: '%2e%2e/x.txt', content: 'y' });
    assert.equal(prepared.decision.kind, 'ask');
    assert.equal(outcome.status, 'ok');
    assert.equal(fs.existsSync(path.join(h.root, '%2e%2e', 'x.txt')), true);
    assert.equal(fs.existsSync(path.join(h.outside, 'x.txt')), false);
  });

  it('a NUL byte in a path is refused', () => expectReadRefused({ path: 'a.txt\0/../../etc/passwd' }, /NUL byte/));

  it('a symlinked file pointing outside is refused for read', async () => {
    fs.symlinkSync(path.join(h.outside, 'secret.txt'), path.join(h.root, 'innocent.txt'));
    await expectReadRefused({ path: 'innocent.txt' }, /symbolic link.*outside/);
  });

  it('a symlinked folder pointing outside is refused for read below it', async () => {
    fs.symlinkSync(h.outside, path.join(h.root, 'docs'));
    await expectReadRefused({ path: 'docs/secret.txt' }, /outside/);
  });

  it('a symlinked folder pointing outside is refused for writes of new files (parent of a new file)', async () => {
    fs.symlinkSync(h.outside, path.join(h.root, 'out'));
    await expectWriteRefused('out/new.txt', /outside/, path.join(h.outside, 'new.txt'));
  });

  it('a write never follows a link at the final component, even one pointing inside', async () => {
    h.file('real.txt', 'original');
    fs.symlinkSync('real.txt', path.join(h.root, 'alias.txt'));
    await expectWriteRefused('alias.txt', /symbolic link/, path.join(h.root, 'real.txt'));
    assert.equal(fs.readFileSync(path.join(h.root, 'real.txt'), 'utf8'), 'original');
  });

  it('a dangling link to outside cannot be used to create a file there', async () => {
    fs.symlinkSync(path.join(h.outside, 'created.txt'), path.join(h.root, 'dangling'));
    await expectWriteRefused('dangling', /symbolic link/, path.join(h.outside, 'created.txt'));
  });

  it('a link created with bash and then read is refused', async () => {
    const link = await h.run('bash', { command: `ln -s ${path.join(h.outside, 'secret.txt')} made.txt` });
    assert.equal(link.outcome.status, 'ok');
    await expectReadRefused({ path: 'made.txt' }, /outside/);
  });

  it('prefix confusion: /w/app does not contain /w/app-evil', () => expectReadRefused({ path: path.join(h.root + '-evil', 'secret.txt') }, /outside/));

  it('a FIFO is refused', async () => {
    const made = await h.run('bash', { command: 'mkfifo pipe' });
    assert.equal(made.outcome.status, 'ok');
    await expectReadRefused({ path: 'pipe' }, /device, FIFO or socket/);
  });

  it('a device file reached through a link is refused', async () => {
    fs.symlinkSync('/dev/zero', path.join(h.root, 'zero'));
    await expectReadRefused({ path: 'zero' }, /outside|device/);
  });

  it('bash working_dir outside the workspace is refused and nothing runs', async () => {
    const { prepared, outcome } = await h.run('bash', { command: 'touch marker', working_dir: h.outside });
    assert.equal(prepared.decision.kind, 'block');
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.outside, 'marker')), false);
  });

  it('list_dir of a linked folder outside is refused', async () => {
    fs.symlinkSync(h.outside, path.join(h.root, 'ext'));
    const { prepared, outcome } = await h.run('list_dir', { path: 'ext' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block');
    assert.doesNotMatch(JSON.stringify(outcome), /secret\.txt/);
  });

  it('glob does not follow a link out of the workspace', async () => {
    fs.symlinkSync(h.outside, path.join(h.root, 'ext'));
    h.file('in.txt');
    const { outcome } = await h.run('glob', { pattern: '**/*.txt' }, { by: 'policy' });
    assert.equal(outcome.status, 'ok');
    assert.doesNotMatch(outcome.status === 'ok' ? outcome.output : '', /secret/);
  });

  it('grep does not search through a link out of the workspace', async () => {
    fs.symlinkSync(h.outside, path.join(h.root, 'ext'));
    const { outcome } = await h.run('grep', { pattern: 'TOP-SECRET', path: '.', recursive: true }, { by: 'policy' });
    assert.doesNotMatch(JSON.stringify(outcome), /TOP-SECRET-OUTSIDE/);
  });
});
