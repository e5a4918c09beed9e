import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MountStubs } from '../../../src/core/sandbox/mountStubs';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Another process holding stubs through the same registry, until it is killed or told to release (stdin). */
function holderProcess(registry: string, stub: string): Promise<{ pid: number; release(): Promise<number | null>; kill(): Promise<void> }> {
  const script = `
    const { MountStubs } = require(${JSON.stringify(path.join(ROOT, 'src/core/sandbox/mountStubs.ts'))});
    (async () => {
      const lease = await new MountStubs(${JSON.stringify(registry)}, { lingerMs: 0 }).hold([{ path: ${JSON.stringify(stub)}, kind: 'dir' }]);
      process.stdout.write('held\\n');
      process.stdin.once('data', async () => { await lease.release(); process.exit(0); });
    })();`;
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid as number,
        release: () => new Promise((r) => (child.once('exit', (code) => r(code)), child.stdin.write('go\n'))),
        kill: () => new Promise((r) => (child.once('exit', () => r()), child.kill('SIGKILL'))),
      }),
    );
  });
}

describe('MountStubs: stubs for missing protected names, shared safely between sandboxes and processes', function () {
  this.timeout(30_000);
  let base: string;
  let ws: string;
  let registry: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-stubs-'));
    ws = path.join(base, 'ws');
    registry = path.join(base, 'registry');
    fs.mkdirSync(ws);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it('makes the stubs, and removes them on release', async () => {
    const lease = await new MountStubs(registry, { lingerMs: 0 }).hold([
      { path: path.join(ws, '.vscode'), kind: 'dir' },
      { path: path.join(ws, '.breakwaterignore'), kind: 'file' },
    ]);
    assert.deepEqual(lease.held, [path.join(ws, '.vscode'), path.join(ws, '.breakwaterignore')]);
    assert.ok(fs.statSync(path.join(ws, '.vscode')).isDirectory());
    assert.equal(fs.statSync(path.join(ws, '.breakwaterignore')).size, 0);
    await lease.release();
    assert.deepEqual(fs.readdirSync(ws), []);
    assert.deepEqual(fs.readdirSync(registry), [], 'no registry entries are left');
  });

  it('two holds in one process: the stub stays until the last release', async () => {
    const stubs = new MountStubs(registry, { lingerMs: 0 });
    const stub = { path: path.join(ws, '.git'), kind: 'dir' as const };
    const a = await stubs.hold([stub]);
    const b = await stubs.hold([stub]);
    await a.release();
    assert.ok(fs.existsSync(stub.path), 'still held by b');
    await b.release();
    assert.equal(fs.existsSync(stub.path), false);
  });

  it('another process holding the stub keeps it; its release removes it', async () => {
    const stub = path.join(ws, '.vscode');
    const other = await holderProcess(registry, stub);
    const mine = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: stub, kind: 'dir' }]);
    await mine.release();
    assert.ok(fs.existsSync(stub), 'the other process still holds it');
    assert.equal(await other.release(), 0);
    assert.equal(fs.existsSync(stub), false);
  });

  it("a holder killed with SIGKILL leaves its stub; the next process's first hold sweeps it", async () => {
    const stub = path.join(ws, '.breakwater');
    const other = await holderProcess(registry, stub);
    await other.kill();
    assert.ok(fs.existsSync(stub), 'left behind by the killed process');
    const lease = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: path.join(ws, '.vscode'), kind: 'dir' }]);
    assert.equal(fs.existsSync(stub), false, 'swept');
    await lease.release();
    assert.deepEqual(fs.readdirSync(ws), []);
  });

  it('a stub the user filled meanwhile is kept', async () => {
    const lease = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: path.join(ws, '.vscode'), kind: 'dir' }]);
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), '{}');
    await lease.release();
    assert.equal(fs.readFileSync(path.join(ws, '.vscode', 'settings.json'), 'utf8'), '{}');
  });

  it('a folder that already existed is never removed, even when empty', async () => {
    fs.mkdirSync(path.join(ws, '.git'));
    const lease = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: path.join(ws, '.git'), kind: 'dir' }]);
    await lease.release();
    assert.ok(fs.existsSync(path.join(ws, '.git')));
  });

  it('a released stub lingers for the next command, then goes; flush (dispose, exit) removes it at once', async () => {
    const stubs = new MountStubs(registry, { lingerMs: 200 });
    const stub = { path: path.join(ws, '.vscode'), kind: 'dir' as const };
    await (await stubs.hold([stub])).release();
    assert.ok(fs.existsSync(stub.path), 'kept for the next command');
    const again = await stubs.hold([stub]);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(fs.existsSync(stub.path), 'held again: the linger timer does not remove it');
    await again.release();
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(fs.existsSync(stub.path), false, 'gone after the linger');
    await (await stubs.hold([stub])).release();
    stubs.flush();
    assert.equal(fs.existsSync(stub.path), false);
  });

  it('a process exiting with a lingering stub removes it', async () => {
    const stub = path.join(ws, '.breakwater');
    const script = `
      const { MountStubs } = require(${JSON.stringify(path.join(ROOT, 'src/core/sandbox/mountStubs.ts'))});
      (async () => { await (await new MountStubs(${JSON.stringify(registry)}, { lingerMs: 60000 }).hold([{ path: ${JSON.stringify(stub)}, kind: 'dir' }])).release(); })();`;
    const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), '-e', script], { stdio: 'inherit' });
    assert.equal(await new Promise((r) => child.on('exit', r)), 0);
    assert.equal(fs.existsSync(stub), false);
  });

  it('a stub held by another process stays while this one only held it as existing', async () => {
    const stub = path.join(ws, '.vscode');
    const other = await holderProcess(registry, stub);
    const mine = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: stub, kind: 'dir' }]);
    assert.equal(await other.release(), 0);
    assert.ok(fs.existsSync(stub), 'this process still holds it: removing it would detach its mount');
    await mine.release();
    assert.equal(fs.existsSync(stub), false);
  });

  it('a stale lock left by a killed process is broken', async () => {
    fs.mkdirSync(registry, { recursive: true });
    fs.writeFileSync(path.join(registry, 'lock'), '999999999-1');
    const lease = await new MountStubs(registry, { lingerMs: 0 }).hold([{ path: path.join(ws, '.vscode'), kind: 'dir' }]);
    assert.deepEqual(lease.held, [path.join(ws, '.vscode')]);
    await lease.release();
    assert.equal(fs.existsSync(path.join(registry, 'lock')), false);
  });
});
