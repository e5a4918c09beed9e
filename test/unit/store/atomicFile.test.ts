import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAtomicWriteError, writeFileAtomic, writeFileAtomicSync } from '../../../src/core/store/atomicFile';

const repoRoot = path.resolve(__dirname, '../../..');

describe('writeFileAtomic', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-atomic-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const leftovers = (): string[] => fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'));

  for (const variant of ['async', 'sync'] as const) {
    const write = (file: string, data: string, options?: Parameters<typeof writeFileAtomic>[2]): Promise<void> =>
      variant === 'async' ? writeFileAtomic(file, data, options) : Promise.resolve().then(() => writeFileAtomicSync(file, data, options));

    describe(variant, () => {
      it('replaces the content, creates missing folders, leaves no temp file, and makes the file private by default', async () => {
        const file = path.join(dir, 'a', 'b', 'state.json');
        await write(file, 'one');
        await write(file, 'two');
        assert.equal(fs.readFileSync(file, 'utf8'), 'two');
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        assert.deepEqual(fs.readdirSync(path.dirname(file)), ['state.json']);
      });

      it("keeps the replaced file's mode with mode: 'preserve', and replaces a symbolic link instead of following it", async () => {
        const file = path.join(dir, 'script.sh');
        fs.writeFileSync(file, 'old');
        fs.chmodSync(file, 0o750);
        await write(file, 'new', { mode: 'preserve' });
        assert.equal(fs.statSync(file).mode & 0o777, 0o750);

        const outside = path.join(dir, 'outside.txt');
        fs.writeFileSync(outside, 'untouched');
        const link = path.join(dir, 'link.txt');
        fs.symlinkSync(outside, link);
        await write(link, 'replaced', { mode: 'preserve' });
        assert.equal(fs.lstatSync(link).isFile(), true);
        assert.equal(fs.readFileSync(link, 'utf8'), 'replaced');
        assert.equal(fs.readFileSync(outside, 'utf8'), 'untouched');
      });

      // A real fault after the temp file is written: the rename fails because a folder is where the file should be.
      it('when the rename fails (the target is a folder), removes the temp file, leaves the folder as it was, and names the file and the step', async () => {
        const target = path.join(dir, 'state.json');
        fs.mkdirSync(target);
        fs.writeFileSync(path.join(target, 'inside'), 'kept');
        const err: unknown = await write(target, 'new').then(
          () => assert.fail('the write should have failed'),
          (e: unknown) => e,
        );
        assert.ok(isAtomicWriteError(err), `expected an AtomicWriteError, got ${String(err)}`);
        assert.match(err.message, /could not write .*state\.json \(failed to rename the temp file into place: .*\); its previous content, if any, is unchanged/);
        assert.ok(err.code === 'EISDIR' || err.code === 'ENOTEMPTY' || err.code === 'EEXIST', `unexpected code ${String(err.code)}`);
        assert.deepEqual(leftovers(), []);
        assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'kept');
      });

      it('when the folder cannot be created (a file is in the way), says so and writes nothing', async () => {
        fs.writeFileSync(path.join(dir, 'blocker'), 'x');
        await assert.rejects(write(path.join(dir, 'blocker', 'state.json'), 'new'), (e: unknown) => {
          assert.ok(isAtomicWriteError(e));
          assert.match(e.message, /failed to create its folder/);
          assert.ok(e.code === 'EEXIST' || e.code === 'ENOTDIR', `unexpected code ${String(e.code)}`);
          return true;
        });
        assert.deepEqual(fs.readdirSync(dir), ['blocker']);
      });

      // A real fault in the middle of writing the temp file: a file-size limit (RLIMIT_FSIZE, with SIGXFSZ ignored
      // so the write returns EFBIG instead of killing the process). This works as root too, unlike a read-only folder.
      it('when writing the temp file fails part-way (EFBIG under a file-size limit), the old content is intact and no temp file is left', () => {
        const file = path.join(dir, 'state.json');
        fs.writeFileSync(file, 'old content');
        const call = variant === 'async' ? 'await m.writeFileAtomic(f, d)' : 'm.writeFileAtomicSync(f, d)';
        const script = [
          `const m = require(${JSON.stringify(path.join(repoRoot, 'src/core/store/atomicFile.ts'))});`,
          `const f = ${JSON.stringify(file)}; const d = 'x'.repeat(256 * 1024);`,
          `(async () => { try { ${call}; console.log('no error'); } catch (e) { console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); } })();`,
        ].join('\n');
        // `ulimit -f 8`: no file this process writes may grow past 8 KiB.
        const child = spawnSync('bash', ['-c', `trap '' XFSZ; ulimit -f 8; exec "$0" -r tsx/cjs -e "$1"`, process.execPath, script], {
          cwd: repoRoot,
          encoding: 'utf8',
        });
        assert.equal(child.status, 0, child.stderr);
        const out = child.stdout.trim();
        assert.notEqual(out, 'no error', 'the write should have hit the file-size limit');
        const result = JSON.parse(out) as { name: string; code: string; message: string };
        assert.equal(result.name, 'AtomicWriteError');
        assert.equal(result.code, 'EFBIG');
        assert.match(result.message, /failed to write the temp file/);
        assert.equal(fs.readFileSync(file, 'utf8'), 'old content');
        assert.deepEqual(leftovers(), []);
      });
    });
  }
});
