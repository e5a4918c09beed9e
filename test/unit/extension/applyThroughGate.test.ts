import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CoreSession } from '../../../src/extension/coreSession';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';
import { must } from '../../fixtures/must';

/** The chat's Apply as the facade offers it to the code applier: the engine's verdict, then a decision. */
describe('facade: Apply through the approval gate', () => {
  let base: string;
  let root: string;
  let facade: CoreSession;

  beforeEach(async () => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-facade-apply-')));
    root = path.join(base, 'ws');
    fs.mkdirSync(path.join(root, 'lib'), { recursive: true });
    fs.writeFileSync(path.join(root, '.breakwaterignore'), 'private/\n');
    facade = new CoreSession({ options: () => ({ workspaceFolders: [root], storeDir: path.join(base, 'store'), configFile: path.join(base, 'none.yaml'), secrets: NO_KEYS, trusted: true, ripgrepPath: 'rg' }) });
  });
  afterEach(() => {
    facade.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('asks with the resolved path, the diff and a plain reason; approve writes', async () => {
    fs.writeFileSync(path.join(root, 'lib', 'a.ts'), 'export const a = 1;\n');
    const verdict = await facade.proposeWrite(path.join(root, 'lib', 'a.ts'), 'export const a = 2;\n');
    assert.equal(verdict.kind, 'ask');
    if (verdict.kind !== 'ask') return;
    assert.equal(verdict.path, path.join(root, 'lib', 'a.ts'));
    assert.equal(verdict.relativePath, 'lib/a.ts');
    assert.equal(verdict.reason, 'write: creates or overwrites lib/a.ts — needs your approval');
    assert.equal(verdict.everyTime, false);
    assert.equal(verdict.currentContent, 'export const a = 1;\n');
    assert.match(verdict.diff, /-export const a = 1;\n\+export const a = 2;/);
    assert.equal((await (await facade.need()).applyProposed({ callId: verdict.callId }, 'approve')).status, 'ok');
    assert.equal(fs.readFileSync(path.join(root, 'lib', 'a.ts'), 'utf8'), 'export const a = 2;\n');
  });

  it('reject leaves the file as it was', async () => {
    fs.writeFileSync(path.join(root, 'lib', 'b.ts'), 'keep\n');
    const verdict = await facade.proposeWrite(path.join(root, 'lib', 'b.ts'), 'replace\n');
    assert.equal(verdict.kind, 'ask');
    if (verdict.kind !== 'ask') return;
    assert.equal((await (await facade.need()).applyProposed({ callId: verdict.callId }, 'reject')).status, 'rejected');
    assert.equal(fs.readFileSync(path.join(root, 'lib', 'b.ts'), 'utf8'), 'keep\n');
  });

  it('a protected path asks every time', async () => {
    const verdict = await facade.proposeWrite(path.join(root, '.vscode', 'settings.json'), '{}');
    assert.equal(verdict.kind === 'ask' && verdict.everyTime, true);
    assert.match(verdict.kind === 'ask' ? verdict.reason : '', /protected path/);
  });

  it('.breakwaterignore, a path outside the workspace and a folder are refused: no card to approve', async () => {
    fs.mkdirSync(path.join(root, 'dir'));
    const refusals = await Promise.all([path.join(root, 'private', 'k.ts'), path.join(base, 'outside.ts'), path.join(root, 'dir')].map((p) => facade.proposeWrite(p, 'x')));
    for (const r of refusals) assert.equal(r.kind, 'refused', JSON.stringify(r));
    assert.match(must(refusals[2], 'refusals[2]').kind === 'refused' ? must(refusals[2], 'refusals[2]').reason : '', /is a folder/);
    assert.equal(fs.existsSync(path.join(root, 'private', 'k.ts')), false);
  });
});
