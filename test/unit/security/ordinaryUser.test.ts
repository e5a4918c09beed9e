import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { AS_NOBODY, startBuiltCli } from '../../fixtures/builtCli';
import { markedSleep, noneLeft, someRunning } from './processTable';
import { cliEnv, escapeWorld, HOME_SECRET, KEY, SIBLING_SECRET, type EscapeWorld } from './sandboxHarness';

/**
 * The same boundary for an ordinary user, which is how most people run Breakwater: bubblewrap then
 * builds its namespaces from an unprivileged user namespace. When the tests run as root, the built CLI
 * runs as `nobody`; otherwise as the user running the tests.
 */
describe('security: the sandbox for an ordinary user (built CLI, unprivileged user namespaces)', function () {
  this.timeout(90_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  afterEach(() => world?.cleanup());

  /** A world the ordinary user owns, with its own state dir. */
  function ordinaryWorld(): { w: EscapeWorld; env: NodeJS.ProcessEnv } {
    const w = escapeWorld();
    const state = path.join(w.base, 'state');
    fs.mkdirSync(state);
    if (AS_NOBODY.length > 0) execFileSync('chown', ['-R', 'nobody:nogroup', w.base]);
    return { w, env: cliEnv(llm, w, { XDG_STATE_HOME: state }) };
  }

  async function run(command: string, setup: (w: EscapeWorld) => void = () => undefined) {
    const { w, env } = ordinaryWorld();
    world = w;
    setup(w);
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command } }] }, { kind: 'reply', text: 'done' });
    const first = await startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], { cwd: w.ws, env: env, prefix: AS_NOBODY }).done;
    assert.ok(first.code === 0 || first.code === 3, first.stderr);
    const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
    const final = first.code === 3 ? await startBuiltCli(['--approve', runId, '--call', 'c1', '--json'], { cwd: w.ws, env: env, prefix: AS_NOBODY }).done : first;
    assert.equal(final.code, 0, final.stderr);
    return JSON.stringify(llm.requests.at(-1)?.body ?? {});
  }

  it('runs as the ordinary user, with no capabilities', async () => {
    const saw = await run('id -u; grep CapEff /proc/self/status');
    assert.match(saw, AS_NOBODY.length > 0 ? /65534/ : new RegExp(String(process.getuid?.())));
    assert.match(saw, /CapEff:\\t0000000000000000/);
  });

  it('the sibling folder and ~/.ssh are out of reach', async () => {
    const saw = await run('cat ../app-evil/x 2>&1; cat ~/.ssh/id_rsa 2>&1; true');
    assert.equal(saw.includes(SIBLING_SECRET), false);
    assert.equal(saw.includes(HOME_SECRET), false);
  });

  it('a secret file of the workspace stays unreadable, even after unshare -rm umount', async () => {
    // `run` approves the call by its id: the policy asks every time (it names a secret file, runs `sh -c`).
    const saw = await run('cat .env; unshare -rm sh -c "umount .env; cat .env"; true', (w) => {
      fs.writeFileSync(path.join(w.ws, '.env'), 'ORDINARY-ENV-SECRET-77');
      if (AS_NOBODY.length > 0) execFileSync('chown', ['nobody:nogroup', path.join(w.ws, '.env')]);
    });
    assert.match(saw, /done|tool_result|tool_use_id/);
    assert.equal(saw.includes('ORDINARY-ENV-SECRET-77'), false);
  });

  it('protected paths stay read-only, and a missing .vscode is neither created nor left as a stub', async () => {
    await run('mkdir -p .vscode .git/hooks; echo x > .vscode/settings.json; echo x > .git/hooks/pre-commit; true');
    const w = world as EscapeWorld;
    assert.equal(fs.existsSync(path.join(w.ws, '.vscode')), false);
    assert.equal(fs.existsSync(path.join(w.ws, '.git')), false);
  });

  it("the parent's environment holds no key, and ps shows nothing of the host", async () => {
    const saw = await run('cat /proc/$PPID/environ | tr "\\0" "\\n"; ps eww -A; true');
    assert.equal(saw.includes(KEY), false);
  });

  it('a double-forked setsid daemon does not outlive the call', async () => {
    const s = markedSleep();
    await run(`setsid sh -c '${s.command} & exit 0'; sleep 0.3`);
    assert.equal(await noneLeft(s.marker), true);
  });

  it("SIGTERM to the ordinary user's CLI mid-command: exit 143, nothing survives", async () => {
    const { w, env } = ordinaryWorld();
    world = w;
    const s = markedSleep();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: `${s.command} & wait` } }] });
    const r = startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes'], { cwd: w.ws, env: env, prefix: AS_NOBODY });
    assert.equal(await someRunning(s.marker), true, r.stderr());
    r.child.kill('SIGTERM');
    assert.equal((await r.done).code, 143);
    assert.equal(await noneLeft(s.marker), true);
  });
});
