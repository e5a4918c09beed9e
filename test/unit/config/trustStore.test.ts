import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { valueHash } from '../../../src/core/config/trust';
import { parseTrustFile, TrustFile } from '../../../src/core/config/trustStore';
import { must } from '../../fixtures/must';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function tmp(): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-trust-')));
}

const value = (key: string, v: unknown) => ({ key, hash: valueHash(key.split('.'), v), display: String(v) });

/** A child process that confirms `count` keys (`<prefix>0`…) one write each, as a second CLI would. */
function confirmer(file: string, folder: string, prefix: string, count: number) {
  const script = `
    const { TrustFile } = require(${JSON.stringify(path.join(ROOT, 'src/core/config/trustStore.ts'))});
    const { valueHash } = require(${JSON.stringify(path.join(ROOT, 'src/core/config/trust.ts'))});
    (async () => {
      const store = await TrustFile.open(${JSON.stringify(file)});
      for (let i = 0; i < ${count}; i++) {
        const key = ${JSON.stringify(prefix)} + i;
        await store.confirm(${JSON.stringify(folder)}, [{ key, hash: valueHash([key], i), display: String(i) }]);
      }
    })().catch((e) => { console.error(e); process.exit(1); });`;
  return spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
}

const exited = (child: ReturnType<typeof spawn>) => new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

describe('trust.json: confirmations of workspace values in user scope', function () {
  this.timeout(60_000);

  it('records per folder and exact value, and reads back after a new open', async () => {
    const dir = tmp();
    const file = path.join(dir, 'state', 'breakwater', 'trust.json');
    const store = await TrustFile.open(file);
    const v = value('providers.anthropic.base_url', 'http://127.0.0.1:9000');
    assert.equal(store.isConfirmed(dir, v.key, v.hash), false);
    await store.confirm(dir, [v]);
    const again = await TrustFile.open(file);
    assert.equal(again.isConfirmed(dir, v.key, v.hash), true);
    assert.equal(again.isConfirmed(path.join(dir, 'other'), v.key, v.hash), false, 'another folder');
    assert.equal(again.isConfirmed(dir, v.key, value(v.key, 'http://127.0.0.1:9001').hash), false, 'another value');
    // The folder is recorded by its real path: a symbolic link to it is the same folder.
    fs.symlinkSync(dir, path.join(os.tmpdir(), `bw-trust-link-${process.pid}`));
    try {
      assert.equal(again.isConfirmed(path.join(os.tmpdir(), `bw-trust-link-${process.pid}`), v.key, v.hash), true);
    } finally {
      fs.rmSync(path.join(os.tmpdir(), `bw-trust-link-${process.pid}`));
    }
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    assert.equal(json.version, 1);
    assert.equal(json.folders[dir]['providers.anthropic.base_url'].value, 'http://127.0.0.1:9000');
    assert.equal(fs.statSync(file).mode & 0o077, 0, 'only the user can read it');
  });

  for (const [name, content] of [
    ['not JSON', '{"version": 1, "folders": {'],
    ['the wrong shape', '{"version": 2, "folders": []}'],
    ['a bad hash', '{"version": 1, "folders": {"/x": {"k": {"hash": "nope", "value": "v", "confirmed_at": "t"}}}}'],
  ] as const) {
    it(`a corrupt file (${name}) is reported, counts as empty, and is kept aside at the next confirmation`, async () => {
      const dir = tmp();
      const file = path.join(dir, 'trust.json');
      fs.writeFileSync(file, content);
      const warnings: string[] = [];
      const store = await TrustFile.open(file, { onWarning: (m) => warnings.push(m), clock: () => Date.UTC(2026, 0, 2, 3, 4, 5) });
      assert.match(must(warnings[0], 'warnings[0]'), /not a valid confirmations file/);
      assert.equal(store.isConfirmed('/x', 'k', 'a'.repeat(64)), false);
      await store.confirm(dir, [value('servers.prod', 'x')]);
      const aside = fs.readdirSync(dir).filter((f) => f.startsWith('trust.json.corrupt-'));
      assert.equal(aside.length, 1);
      assert.equal(fs.readFileSync(path.join(dir, must(aside[0], 'aside[0]')), 'utf8'), content, 'nothing is lost');
      assert.ok(parseTrustFile(fs.readFileSync(file, 'utf8')).ok);
      assert.ok((await TrustFile.open(file)).isConfirmed(dir, 'servers.prod', value('servers.prod', 'x').hash));
    });
  }

  it('two processes confirming at once both land (the file is locked and re-read)', async () => {
    const dir = tmp();
    const file = path.join(dir, 'trust.json');
    const children = [confirmer(file, dir, 'a.', 15), confirmer(file, dir, 'b.', 15), confirmer(file, dir, 'c.', 15)];
    const codes = await Promise.all(children.map(exited));
    assert.deepEqual(codes, [0, 0, 0]);
    const store = await TrustFile.open(file);
    for (const p of ['a.', 'b.', 'c.']) for (let i = 0; i < 15; i++) assert.ok(store.isConfirmed(dir, p + i, valueHash([p + i], i)), `${p}${i} was lost`);
  });

  it('kill -9 while writing never leaves a half-written file, nor a lock that blocks the next writer', async () => {
    const dir = tmp();
    const file = path.join(dir, 'trust.json');
    const check = () => {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
      const parsed = parseTrustFile(text);
      assert.ok(parsed.ok, `a reader saw a torn file: ${text?.slice(0, 80)}`);
      return parsed.content;
    };
    for (let round = 0; round < 3; round++) {
      const child = confirmer(file, dir, `r${round}.`, 100_000);
      // Wait until this writer is writing, then let it write a while longer before killing it mid-stream.
      const started = Date.now();
      while (!Object.keys(check().folders[dir] ?? {}).some((k) => k.startsWith(`r${round}.`))) {
        assert.ok(Date.now() - started < 30_000, 'the writer never wrote');
        await new Promise((r) => setTimeout(r, 5));
      }
      const until = Date.now() + 50 + round * 70;
      while (Date.now() < until) {
        check();
        await new Promise((r) => setImmediate(r));
      }
      child.kill('SIGKILL');
      await exited(child);
      check();
    }
    // The killed writer's lock goes stale and the next confirmation takes it over.
    const store = await TrustFile.open(file, { lockTimeoutMs: 8000 });
    await store.confirm(dir, [value('after.kill', 1)]);
    assert.ok((await TrustFile.open(file)).isConfirmed(dir, 'after.kill', value('after.kill', 1).hash));
  });
});
