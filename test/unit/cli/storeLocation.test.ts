import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chooseStore, defaultStoreDir, legacyStoreDir, migrateLegacyStore } from '../../../src/cli/storeLocation';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { runCliInProcess } from './runCliInProcess';

/** A folder on another file system than the temp folder, when this machine has one (tmpfs /dev/shm). */
function otherFileSystem(): string | undefined {
  try {
    if (fs.statSync('/dev/shm').dev === fs.statSync(os.tmpdir()).dev) return undefined;
    return fs.mkdtempSync('/dev/shm/bw-store-');
  } catch {
    return undefined;
  }
}

describe('CLI store location: out of the workspace, in the user state dir', function () {
  this.timeout(30_000);
  let base: string;
  let ws: string;
  beforeEach(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-storeloc-')));
    ws = path.join(base, 'ws');
    fs.mkdirSync(ws);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const legacyRun = () => {
    fs.mkdirSync(path.join(legacyStoreDir(ws), 'state'), { recursive: true });
    fs.writeFileSync(path.join(legacyStoreDir(ws), 'r-20250101-000000-abcdef.jsonl'), '{"seq":0}\n');
    fs.writeFileSync(path.join(legacyStoreDir(ws), 'state', 'costs.jsonl'), '{}\n');
  };

  it('defaults to $XDG_STATE_HOME/breakwater/<16 hex of the workspace path hash>', () => {
    const dir = defaultStoreDir(ws, { XDG_STATE_HOME: '/x/state' });
    assert.match(dir, /^\/x\/state\/breakwater\/[0-9a-f]{16}$/);
    assert.equal(defaultStoreDir(ws, { XDG_STATE_HOME: '/x/state' }), dir, 'stable');
    assert.notEqual(defaultStoreDir(base, { XDG_STATE_HOME: '/x/state' }), dir, 'one per workspace');
  });

  it('without XDG_STATE_HOME (or with a relative one, which the spec says to ignore) uses ~/.local/state', () => {
    assert.match(defaultStoreDir(ws, { HOME: '/home/u' }), /^\/home\/u\/\.local\/state\/breakwater\/[0-9a-f]{16}$/);
    assert.match(defaultStoreDir(ws, { HOME: '/home/u', XDG_STATE_HOME: 'rel' }), /^\/home\/u\/\.local\/state\/breakwater\//);
  });

  it('the same workspace reached through a symlink has the same store', () => {
    fs.symlinkSync(ws, path.join(base, 'alias'));
    assert.equal(defaultStoreDir(path.join(base, 'alias'), { XDG_STATE_HOME: '/s' }), defaultStoreDir(ws, { XDG_STATE_HOME: '/s' }));
  });

  it('--store wins over BREAKWATER_STORE, which wins over the default', () => {
    const env = { XDG_STATE_HOME: '/s', BREAKWATER_STORE: 'from-env' };
    assert.deepEqual(chooseStore(ws, 'flag', '/cwd', env), { dir: '/cwd/flag', from: 'flag' });
    assert.deepEqual(chooseStore(ws, undefined, '/cwd', env), { dir: '/cwd/from-env', from: 'env' });
    assert.equal(chooseStore(ws, undefined, '/cwd', { XDG_STATE_HOME: '/s' }).from, 'default');
  });

  it('migrates <workspace>/.breakwater/runs by one rename on the same file system', () => {
    legacyRun();
    const target = path.join(base, 'state', 'breakwater', 'abc');
    assert.deepEqual(migrateLegacyStore(ws, target), { kind: 'moved', from: legacyStoreDir(ws), to: target });
    assert.equal(fs.existsSync(legacyStoreDir(ws)), false);
    assert.equal(fs.readFileSync(path.join(target, 'r-20250101-000000-abcdef.jsonl'), 'utf8'), '{"seq":0}\n');
    assert.deepEqual(migrateLegacyStore(ws, target), { kind: 'none' }, 'once');
  });

  it('when the new store already exists, nothing is moved or merged', () => {
    legacyRun();
    const target = path.join(base, 'state', 'abc');
    fs.mkdirSync(target, { recursive: true });
    fs.writeFileSync(path.join(target, 'r-20260101-000000-ffffff.jsonl'), 'new\n');
    assert.equal(migrateLegacyStore(ws, target).kind, 'both_exist');
    assert.ok(fs.existsSync(path.join(legacyStoreDir(ws), 'r-20250101-000000-abcdef.jsonl')));
    assert.deepEqual(fs.readdirSync(target), ['r-20260101-000000-ffffff.jsonl']);
  });

  it('an empty new store folder does not block the migration', () => {
    legacyRun();
    const target = path.join(base, 'state', 'abc');
    fs.mkdirSync(target, { recursive: true });
    assert.equal(migrateLegacyStore(ws, target).kind, 'moved');
  });

  describe('across file systems (copy, then one rename)', () => {
    let other: string | undefined;
    beforeEach(() => {
      other = otherFileSystem();
      assert.ok(other, 'these cases need /dev/shm on another file system than the temp folder (tmpfs, as on Linux and in containers)');
    });
    afterEach(() => other && fs.rmSync(other, { recursive: true, force: true }));

    it('copies everything, marks it, renames it into place, then removes the old store', () => {
      legacyRun();
      const target = path.join(other as string, 'store');
      assert.equal(migrateLegacyStore(ws, target).kind, 'moved');
      assert.equal(fs.existsSync(legacyStoreDir(ws)), false);
      assert.equal(fs.readFileSync(path.join(target, 'state', 'costs.jsonl'), 'utf8'), '{}\n');
      assert.deepEqual(fs.readdirSync(other as string), ['store'], 'no temporary copy is left');
    });

    it('a copy left by a process killed mid-copy is removed and the migration redone', () => {
      legacyRun();
      const target = path.join(other as string, 'store');
      fs.mkdirSync(`${target}.migrating-999999999`, { recursive: true });
      fs.writeFileSync(`${target}.migrating-999999999/half.jsonl`, 'torn');
      assert.equal(migrateLegacyStore(ws, target).kind, 'moved');
      assert.deepEqual(fs.readdirSync(other as string), ['store']);
      assert.equal(fs.existsSync(path.join(target, 'half.jsonl')), false);
    });

    it('killed after the copy was renamed into place: the next start finishes by removing the old store', () => {
      legacyRun();
      const target = path.join(other as string, 'store');
      fs.cpSync(legacyStoreDir(ws), target, { recursive: true });
      fs.writeFileSync(path.join(target, 'migrated-from'), legacyStoreDir(ws));
      assert.equal(migrateLegacyStore(ws, target).kind, 'moved');
      assert.equal(fs.existsSync(legacyStoreDir(ws)), false);
    });
  });

  describe('through the CLI', () => {
    const llm = useFakeLlm();

    it('the first start moves the old store; --runs and --resume find the runs; the workspace keeps no store', async () => {
      const state = path.join(base, 'state');
      const env = { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: llm.url, PATH: process.env.PATH, XDG_STATE_HOME: state };
      fs.mkdirSync(path.join(ws, '.breakwater'));
      fs.writeFileSync(path.join(ws, '.breakwater', 'agents.yaml'), 'agents:\n  dev:\n    provider: anthropic\n    tools: [read]\n');
      llm.enqueue({ kind: 'reply', text: 'one' });
      const first = await runCliInProcess(['--agent', 'dev', '--prompt', 'x', '--store', legacyStoreDir(ws), '--json'], ws, env);
      assert.equal(first.code, 0, first.err);
      const runs = await runCliInProcess(['--runs', '--json'], ws, env);
      assert.match(runs.err, /moved the run store out of the workspace, from .*\.breakwater\/runs to .*state\/breakwater\/[0-9a-f]{16}/);
      assert.deepEqual(runs.json().runs.map((r: { run_id: string }) => r.run_id), [first.json().run_id]);
      assert.equal(fs.existsSync(legacyStoreDir(ws)), false);
      const resumed = await runCliInProcess(['--resume', first.json().run_id, '--json'], ws, env);
      assert.equal(resumed.json().status, 'completed');
    });

    it('BREAKWATER_STORE is used as given, and never migrated into', async () => {
      legacyRun();
      const env = { PATH: process.env.PATH, XDG_STATE_HOME: path.join(base, 'state'), BREAKWATER_STORE: path.join(base, 'mine') };
      const r = await runCliInProcess(['--runs', '--json'], ws, env);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(r.json().runs, []);
      assert.ok(fs.existsSync(legacyStoreDir(ws)), 'the old store is left alone');
    });

    it('the new store already existing is said plainly, and nothing is moved', async () => {
      legacyRun();
      const env = { PATH: process.env.PATH, XDG_STATE_HOME: path.join(base, 'state') };
      const target = defaultStoreDir(ws, env);
      fs.mkdirSync(target, { recursive: true });
      fs.writeFileSync(path.join(target, 'keep'), '');
      const r = await runCliInProcess(['--runs'], ws, env);
      assert.match(r.err, /holds runs from before the store moved to .*, which already exists; nothing was moved\. Pass --store/);
      assert.ok(fs.existsSync(legacyStoreDir(ws)));
    });
  });
});
