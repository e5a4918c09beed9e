import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBreakwater, isUnknownProposalError, type Breakwater } from '../../../src/core/breakwater';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';

/**
 * Apply on a chat code block is the user's own write, but it passes the same gate as an agent's:
 * `proposeWrite` prepares it with the real tool engine, `applyProposed` runs it only when approved.
 */
describe('proposeWrite / applyProposed (Apply through the approval gate)', () => {
  let base: string;
  let root: string;
  let bw: Breakwater;

  async function open(trusted = true): Promise<Breakwater> {
    bw = await createBreakwater({ workspaceFolders: [root], storeDir: path.join(base, 'store'), configFile: path.join(base, 'missing.yaml'), secrets: NO_KEYS, trusted, ripgrepPath: 'rg' });
    return bw;
  }

  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-apply-')));
    root = path.join(base, 'app');
    fs.mkdirSync(path.join(root, 'src'), { recursive: true });
  });
  afterEach(() => {
    bw?.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('asks with the real resolved path and the diff, and writes only after approve', async () => {
    await open();
    fs.writeFileSync(path.join(root, 'src', 'x.ts'), 'old\n');
    const prepared = await bw.proposeWrite('src/x.ts', 'new\n');
    assert.equal(prepared.decision.kind, 'ask');
    assert.equal(prepared.approval?.tool, 'write');
    assert.equal(prepared.approval?.change?.path, path.join(root, 'src', 'x.ts'));
    assert.match(prepared.approval?.change?.diff ?? '', /-old\n\+new/);
    assert.equal(fs.readFileSync(path.join(root, 'src', 'x.ts'), 'utf8'), 'old\n', 'proposing writes nothing');

    const outcome = await bw.applyProposed(prepared, 'approve');
    assert.equal(outcome.status, 'ok');
    assert.equal(fs.readFileSync(path.join(root, 'src', 'x.ts'), 'utf8'), 'new\n');
  });

  it('reject writes nothing, and a proposal is decided once', async () => {
    await open();
    const prepared = await bw.proposeWrite('src/new.ts', 'x');
    assert.deepEqual(await bw.applyProposed(prepared, 'reject'), { status: 'rejected' });
    assert.equal(fs.existsSync(path.join(root, 'src', 'new.ts')), false);
    await assert.rejects(bw.applyProposed(prepared, 'approve'), (e: unknown) => isUnknownProposalError(e) && e.callId === prepared.callId);
    assert.equal(fs.existsSync(path.join(root, 'src', 'new.ts')), false);
  });

  it('runs the core’s own copy: a caller cannot widen what it approved', async () => {
    await open();
    const prepared = await bw.proposeWrite('src/a.ts', 'a');
    const forged = { ...prepared, args: { path: '../outside.ts', content: 'evil' } };
    assert.equal((await bw.applyProposed(forged, 'approve')).status, 'ok');
    assert.equal(fs.readFileSync(path.join(root, 'src', 'a.ts'), 'utf8'), 'a');
    assert.equal(fs.existsSync(path.join(base, 'outside.ts')), false);
    await assert.rejects(bw.applyProposed({ callId: 'apply-made-up' }, 'approve'), isUnknownProposalError);
  });

  it('a protected path asks every time, naming the rule', async () => {
    await open();
    const prepared = await bw.proposeWrite('.vscode/settings.json', '{}');
    assert.equal(prepared.decision.kind, 'ask_every_time');
    assert.match(prepared.decision.reason, /protected path/);
    assert.equal((await bw.applyProposed(prepared, 'approve')).status, 'ok', 'the user approved this very call');
  });

  it('.breakwaterignore, the sandbox and Restricted Mode block it: approving writes nothing', async () => {
    await open();
    fs.writeFileSync(path.join(root, '.breakwaterignore'), 'secret/\n');
    for (const target of ['secret/keys.ts', '../escape.ts']) {
      const prepared = await bw.proposeWrite(target, 'x');
      assert.equal(prepared.decision.kind, 'block', `${target}: ${prepared.decision.reason}`);
      assert.equal((await bw.applyProposed(prepared, 'approve')).status, 'blocked');
    }
    assert.equal(fs.existsSync(path.join(root, 'secret', 'keys.ts')), false);
    assert.equal(fs.existsSync(path.join(base, 'escape.ts')), false);
    bw.dispose();

    await open(false);
    const untrusted = await bw.proposeWrite('src/x.ts', 'x');
    assert.equal(untrusted.decision.kind, 'block');
    assert.match(untrusted.decision.reason, /Restricted Mode/);
    assert.equal((await bw.applyProposed(untrusted, 'approve')).status, 'blocked');
    assert.equal(fs.existsSync(path.join(root, 'src', 'x.ts')), false);
  });

  it('refuses when the file changed after the diff was shown', async () => {
    await open();
    fs.writeFileSync(path.join(root, 'src', 'x.ts'), 'v1\n');
    const prepared = await bw.proposeWrite('src/x.ts', 'mine\n');
    fs.writeFileSync(path.join(root, 'src', 'x.ts'), 'v2\n');
    const outcome = await bw.applyProposed(prepared, 'approve');
    assert.equal(outcome.status, 'error');
    assert.match(outcome.status === 'error' ? outcome.error : '', /changed since approval; nothing was written/);
    assert.equal(fs.readFileSync(path.join(root, 'src', 'x.ts'), 'utf8'), 'v2\n');
  });
});
