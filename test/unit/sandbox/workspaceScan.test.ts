import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { IgnoreRules } from '../../../src/core/sandbox/ignoreRules';
import { isSandboxSetupError } from '../../../src/core/sandbox/sandboxErrors';
import { MAX_SCAN_MOUNTS, WorkspaceScanner } from '../../../src/core/sandbox/workspaceScan';

describe('WorkspaceScanner: what the sandbox hides and keeps read-only in a workspace folder', () => {
  let ws: string;
  const put = (rel: string, content = 'x') => {
    fs.mkdirSync(path.dirname(path.join(ws, rel)), { recursive: true });
    fs.writeFileSync(path.join(ws, rel), content);
  };
  const rel = (list: readonly string[]) => list.map((p) => path.relative(ws, p)).sort();
  beforeEach(() => (ws = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-scan-')))));
  afterEach(() => fs.rmSync(ws, { recursive: true, force: true }));

  it('finds secrets at any depth, ignored paths (without descending), protected paths, and the root names to hold', () => {
    put('.env');
    put('deep/a/b/server.pem');
    put('deep/id_rsa.pub');
    put('keys/prod.KEY');
    put('.breakwaterignore', 'vault/\n*.secret\n');
    put('vault/inner/.env');
    put('x/y.secret');
    put('sub/.git/HEAD');
    put('.vscode/settings.json');
    const f = new WorkspaceScanner(new IgnoreRules()).scan(ws, [ws]);
    assert.deepEqual(rel(f.hiddenFiles), ['.env', 'deep/a/b/server.pem', 'deep/id_rsa.pub', 'keys/prod.KEY', 'x/y.secret']);
    assert.deepEqual(rel(f.hiddenDirs), ['vault']);
    assert.deepEqual(rel(f.readOnly), ['.breakwaterignore', '.vscode', 'sub/.git']);
    assert.deepEqual(f.roots.map((a) => [path.relative(ws, a.path), a.kind]), [['.git', 'dir'], ['.vscode', 'dir'], ['.breakwater', 'dir'], ['.breakwaterignore', 'file']]);
  });

  it('a secret symlink hides what it points at inside the workspace; one pointing outside needs nothing', () => {
    put('config/real.txt', 'S');
    fs.symlinkSync('config/real.txt', path.join(ws, '.env'));
    fs.symlinkSync('/etc/hostname', path.join(ws, 'outside.pem'));
    const f = new WorkspaceScanner(new IgnoreRules()).scan(ws, [ws]);
    assert.deepEqual(rel(f.hiddenFiles), ['config/real.txt']);
  });

  it('sees a secret created after the last scan (the folder changed)', () => {
    let now = Date.now() + 60_000;
    const scanner = new WorkspaceScanner(new IgnoreRules(), () => now);
    put('src/a.ts');
    assert.deepEqual(scanner.scan(ws, [ws]).hiddenFiles, []);
    put('src/.env.local');
    now += 60_000;
    assert.deepEqual(rel(scanner.scan(ws, [ws]).hiddenFiles), ['src/.env.local']);
  });

  it('sees a secret created within the same timestamp tick (the folder mtime did not move)', () => {
    put('src/a.ts');
    const scanner = new WorkspaceScanner(new IgnoreRules());
    const ns = fs.statSync(path.join(ws, 'src'), { bigint: true }).mtimeNs;
    scanner.scan(ws, [ws]);
    put('src/.env');
    // Put the folder's mtime back to the nanosecond, as a coarse kernel clock would have left it.
    execFileSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, path.join(ws, 'src')]);
    assert.equal(fs.statSync(path.join(ws, 'src'), { bigint: true }).mtimeNs, ns);
    assert.deepEqual(rel(scanner.scan(ws, [ws]).hiddenFiles), ['src/.env'], 'a listing younger than the settle time is read again');
  });

  it('an edited .breakwaterignore applies at the next scan', () => {
    const scanner = new WorkspaceScanner(new IgnoreRules());
    put('notes/plan.txt');
    assert.deepEqual(scanner.scan(ws, [ws]).hiddenDirs, []);
    put('.breakwaterignore', 'notes/\n');
    assert.deepEqual(rel(scanner.scan(ws, [ws]).hiddenDirs), ['notes']);
  });

  it('a protected root name that is a symbolic link fails closed', () => {
    fs.symlinkSync(os.tmpdir(), path.join(ws, '.vscode'));
    assert.throws(() => new WorkspaceScanner(new IgnoreRules()).scan(ws, [ws]), (e: unknown) => isSandboxSetupError(e) && /\.vscode is a symbolic link/.test(e.message));
  });

  it(`more than ${MAX_SCAN_MOUNTS} paths to hide one by one fails closed and says to ignore their folders`, () => {
    for (let i = 0; i <= MAX_SCAN_MOUNTS; i++) put(`certs/c${i}.pem`);
    assert.throws(() => new WorkspaceScanner(new IgnoreRules()).scan(ws, [ws]), (e: unknown) => isSandboxSetupError(e) && /list the folders that hold them in \.breakwaterignore/.test(e.message));
    put('.breakwaterignore', 'certs/\n');
    assert.deepEqual(rel(new WorkspaceScanner(new IgnoreRules()).scan(ws, [ws]).hiddenDirs), ['certs']);
  });
});
