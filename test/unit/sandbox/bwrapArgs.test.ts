import assert from 'node:assert/strict';
import { bwrapArgs } from '../../../src/core/sandbox/bwrapArgs';
import { buildSandboxProfile } from '../../../src/core/sandbox/sandboxProfile';
import type { SystemView } from '../../../src/core/sandbox/systemView';

const SYSTEM: SystemView = { folders: ['/usr', '/etc'], links: [{ path: '/bin', target: 'usr/bin' }], toolchains: ['/home/u/.pyenv'], secretFiles: ['/etc/shadow'], secretDirs: [] };

function profile(overrides: Partial<Parameters<typeof buildSandboxProfile>[0]> = {}) {
  return buildSandboxProfile({
    workspaceFolders: ['/home/u/proj'],
    findings: [{ hiddenFiles: ['/home/u/proj/.env'], hiddenDirs: ['/home/u/proj/vault'], readOnly: ['/home/u/proj/.git'], roots: [] }],
    stubs: ['/home/u/proj/.vscode'],
    system: SYSTEM,
    home: '/home/u',
    hidden: [],
    cwd: '/home/u/proj',
    env: { PATH: '/usr/bin' },
    ...overrides,
  });
}

/** Index of the mount whose destination is `dest` (the argument after the flag's source, or after a one-argument flag). */
const at = (args: string[], flag: string, dest: string) => args.findIndex((a, i) => a === flag && (args[i + 2] === dest || args[i + 1] === dest));

describe('bwrap arguments from a profile', () => {
  it('every namespace, no capabilities, dies with its parent, a new session', () => {
    const args = bwrapArgs(profile(), ['/bin/bash', '-c', 'true']);
    for (const flag of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session']) assert.ok(args.includes(flag), flag);
    assert.equal(args[args.indexOf('--cap-drop') + 1], 'ALL');
    assert.deepEqual(args.slice(args.indexOf('--')), ['--', '/bin/bash', '-c', 'true']);
  });

  it('an ordinary user gets a user namespace; root gets none but read-only /proc files it could otherwise write', () => {
    const user = bwrapArgs(profile(), ['true'], { root: false });
    const root = bwrapArgs(profile(), ['true'], { root: true });
    assert.ok(user.includes('--unshare-user-try') && !root.includes('--unshare-user-try'));
    assert.ok(at(root, '--ro-bind-try', '/proc/sysrq-trigger') > 0 && at(user, '--ro-bind-try', '/proc/sysrq-trigger') < 0);
    for (const args of [user, root]) assert.ok(at(args, '--ro-bind', '/proc/sys') > 0);
  });

  it('orders mounts so the stricter one wins: home hidden, then the workspace, then protected, then secrets', () => {
    const args = bwrapArgs(profile(), ['true']);
    const home = at(args, '--tmpfs', '/home/u');
    const ws = at(args, '--bind', '/home/u/proj');
    const git = at(args, '--ro-bind', '/home/u/proj/.git');
    const stub = at(args, '--ro-bind', '/home/u/proj/.vscode');
    const env = at(args, '--ro-bind', '/home/u/proj/.env');
    const vault = at(args, '--tmpfs', '/home/u/proj/vault');
    assert.ok(home >= 0 && ws > home && git > ws && stub > ws && env > git && vault > ws, JSON.stringify({ home, ws, git, stub, env, vault }));
    assert.equal(args[env + 1], '/dev/null');
    assert.equal(args[args.indexOf('--remount-ro', vault) + 1], '/home/u/proj/vault');
  });

  it('/proc/sys is read-only and the toolchain under the home is bound read-only after the home is hidden', () => {
    const args = bwrapArgs(profile(), ['true']);
    assert.ok(at(args, '--ro-bind', '/proc/sys') > args.indexOf('/proc'));
    assert.ok(at(args, '--ro-bind-try', '/home/u/.pyenv') > at(args, '--tmpfs', '/home/u'));
  });

  it('a PATH entry inside the workspace is not made read-only (node_modules/.bin stays writable)', () => {
    const p = profile({ system: { ...SYSTEM, toolchains: ['/home/u/proj/node_modules/.bin', '/home/u/.pyenv'] } });
    assert.deepEqual(p.readable.filter((r) => r.startsWith('/home')), ['/home/u/.pyenv']);
  });

  it('a system secret is hidden only where something makes it visible', () => {
    const p = profile({ system: { ...SYSTEM, secretFiles: ['/etc/shadow', '/srv/not-bound.key'] } });
    assert.deepEqual(p.hiddenFiles.filter((f) => !f.startsWith('/home')), ['/etc/shadow']);
  });

  it('the home is not a scratch folder when it is the root or a system folder', () => {
    assert.deepEqual(profile({ home: '/' }).scratch, ['/tmp', '/var/tmp']);
    assert.deepEqual(profile({ home: '/usr/share/nobody' }).scratch, ['/tmp', '/var/tmp']);
  });
});
