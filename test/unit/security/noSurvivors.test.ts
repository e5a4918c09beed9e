import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createBreakwater } from '../../../src/core/breakwater';
import { replayRunLog } from '../../../src/core/runs/runLog';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { testStoreOf } from '../../fixtures/stateHome';
import { makeHarness, type Harness } from '../tools/harness';
import { startBuiltCli } from '../../fixtures/builtCli';
import { markedSleep, noneLeft, processesWith, someRunning } from './processTable';
import { cliEnv, escapeWorld, KEY, type EscapeWorld } from './sandboxHarness';

/**
 * No process outlives its call: whatever a command leaves behind (a background job, a new session, a
 * double fork, nohup, disown, a process ignoring SIGHUP and SIGTERM) is gone when the call ends,
 * normally, on timeout, on cancel, when the CLI gets SIGINT/SIGTERM/SIGHUP or SIGKILL, and when the
 * core is disposed (the window closes). The process table is scanned for a marker no other process has.
 * CLI cases drive the built CLI (`node dist/cli.js`) with a scripted model.
 */
describe('security: no process outlives its call (real bubblewrap, built CLI)', function () {
  this.timeout(90_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  afterEach(() => world?.cleanup());

  /** Runs the built CLI under --yes; approves the call by its id when it waits for that. */
  async function runBuilt(command: string) {
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command } }] }, { kind: 'reply', text: 'done' });
    const env = cliEnv(llm, world as EscapeWorld);
    const first = await startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], { cwd: (world as EscapeWorld).ws, env }).done;
    const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
    const final = first.code === 3 ? await startBuiltCli(['--approve', runId, '--call', 'c1', '--json'], { cwd: (world as EscapeWorld).ws, env }).done : first;
    return { first, final, modelSaw: JSON.stringify(llm.requests.at(-1)?.body ?? {}) };
  }

  /** A script that ignores SIGHUP, SIGTERM and SIGINT and then becomes `cmd` (ignored signals survive exec). */
  const ignoring = (cmd: string) => `printf 'trap "" HUP TERM INT\\nexec ${cmd}\\n' > ignore.sh; chmod +x ignore.sh; ./ignore.sh`;
  // `RUNNING=n` is printed from inside, after the command started what it leaves behind: proof it ran.
  const seen = (arg: string) => `sleep 0.3; echo RUNNING=$(ps -A -o args= | grep -c "^sleep ${arg}$")`;
  const LEFTOVERS: readonly (readonly [string, (cmd: string, arg: string) => string])[] = [
    ['a background job (sleep &)', (c, a) => `${c} & ${seen(a)}`],
    ['a job under job control (set -m; … &)', (c, a) => `set -m; ${c} & ${seen(a)}`],
    ['a double-forked setsid daemon', (c, a) => `setsid sh -c '${c} & exit 0'; ${seen(a)}`],
    ['setsid -f', (c, a) => `setsid -f ${c}; ${seen(a)}`],
    ['nohup … &', (c, a) => `nohup ${c} >/dev/null 2>&1 & ${seen(a)}`],
    ['a double fork ( ( … & ) & )', (c, a) => `( ( ${c} & ) & ); ${seen(a)}`],
    ['disown', (c, a) => `${c} & disown; ${seen(a)}`],
    ['a process that ignores SIGHUP and SIGTERM', (c, a) => `${ignoring(c)} >/dev/null 2>&1 & ${seen(a)}`],
  ];
  for (const [name, make] of LEFTOVERS) {
    it(`after a normal exit: ${name}`, async () => {
      world = escapeWorld();
      const s = markedSleep();
      const arg = s.command.slice('sleep '.length);
      const r = await runBuilt(make(s.command, arg));
      assert.equal(r.final.code, 0, r.final.stderr);
      assert.match(r.modelSaw, /RUNNING=[1-9]/, 'it was running inside the call');
      assert.equal(await noneLeft(s.marker), true, `left running: ${processesWith(s.marker).join(', ')}`);
    });
  }

  const STOPS: readonly (readonly [NodeJS.Signals, number | null])[] = [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
    ['SIGKILL', null],
  ];
  for (const [signal, code] of STOPS) {
    it(`${signal} to the CLI mid-command: exit ${code ?? 'by the signal'}, nothing survives, the model is sent nothing more`, async () => {
      world = escapeWorld();
      const s = markedSleep();
      llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: `${ignoring(s.command)} & ( ${s.command} & ); wait` } }] }, { kind: 'reply', text: 'never' });
      const run = startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], { cwd: world.ws, env: cliEnv(llm, world) });
      assert.equal(await someRunning(s.marker), true, run.stderr());
      run.child.kill(signal);
      const done = await run.done;
      if (code === null) assert.equal(done.signal, 'SIGKILL');
      else assert.equal(done.code, code, done.stderr);
      assert.equal(await noneLeft(s.marker), true, `left running: ${processesWith(s.marker).join(', ')}`);
      assert.equal(llm.requests.length, 1, 'no tool result went to the model after the stop');
      if (code !== null) {
        const runId = fs.readdirSync(testStoreOf(world.ws)).find((n) => n.endsWith('.jsonl'))?.slice(0, -'.jsonl'.length) ?? '';
        const types = replayRunLog(path.join(testStoreOf(world.ws), `${runId}.jsonl`)).events.map((e) => e.type);
        assert.ok(types.includes('run_cancelled'), `the run log records the cancel: ${types.join(', ')}`);
      }
    });
  }

  it('a second signal exits at once', async () => {
    world = escapeWorld();
    const s = markedSleep();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: `${s.command}; true` } }] });
    const run = startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes'], { cwd: world.ws, env: cliEnv(llm, world) });
    assert.equal(await someRunning(s.marker), true);
    run.child.kill('SIGTERM');
    run.child.kill('SIGTERM');
    assert.equal((await run.done).code, 143);
    assert.equal(await noneLeft(s.marker), true);
  });

  describe('through the tool engine', () => {
    let h: Harness;
    afterEach(() => h.cleanup());

    it('on timeout: a setsid daemon and a double fork are killed with the command', async () => {
      h = makeHarness({ commandTimeoutMs: 1_500 });
      const s = markedSleep();
      const { prepared, outcome } = await h.run('bash', { command: `setsid sh -c '${s.command} & exit 0'; ( ( ${s.command} & ) & ); ${s.command}` });
      assert.equal(prepared.decision.kind, 'ask_every_time');
      assert.match(outcome.status === 'error' ? outcome.error : '', /Timed out/);
      assert.equal(await noneLeft(s.marker), true);
    });

    it('on cancel: a daemon that ignores SIGTERM is killed', async () => {
      h = makeHarness();
      const s = markedSleep();
      const prepared = await h.prepare('bash', { command: `printf 'trap "" TERM HUP INT\\nexec ${s.command}\\n' > ignore.sh; chmod +x ignore.sh; (./ignore.sh & wait) & wait` });
      const controller = new AbortController();
      const running = h.engine.execute(prepared, { by: 'user' }, controller.signal);
      assert.equal(await someRunning(s.marker), true);
      controller.abort();
      assert.match(((await running) as { error?: string }).error ?? '', /Cancelled/);
      assert.equal(await noneLeft(s.marker), true);
    });

    it('when the core is disposed (the window closes) mid-command', async () => {
      world = escapeWorld();
      const s = markedSleep();
      llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: `setsid sh -c '${s.command} & exit 0'; ${s.command}` } }] }, { kind: 'reply', text: 'after' });
      const bw = await createBreakwater({
        workspaceFolders: [world.ws],
        storeDir: path.join(world.base, 'store'),
        configFile: path.join(world.ws, '.breakwater', 'agents.yaml'),
        secrets: { getApiKey: async (_provider, origin) => ({ kind: 'bound', key: { value: 'k', origin, source: 'the test' } }) },
        trusted: true,
        ripgrepPath: 'rg',
        env: { ...process.env, ANTHROPIC_BASE_URL: llm.url },
        approver: async () => ({ kind: 'grant', by: 'user' }),
      });
      const asked = bw.ask('dev', 'go');
      assert.equal(await someRunning(s.marker), true);
      bw.dispose();
      const outcome = await asked.catch((e: unknown) => e);
      assert.equal(await noneLeft(s.marker), true);
      await bw.flush();
      assert.ok(outcome !== undefined);
    });
  });
});

describe('security: API keys are out of reach of children (built CLI, real processes)', function () {
  this.timeout(90_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  afterEach(() => world?.cleanup());

  const environOf = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, 'latin1');

  it('control: a process started with the key shows it in /proc/<pid>/environ', async () => {
    const { spawn } = await import('node:child_process');
    const s = markedSleep();
    const child = spawn('sleep', [s.command.slice(6)], { env: { ANTHROPIC_API_KEY: KEY } });
    try {
      assert.equal(await someRunning(s.marker), true);
      assert.ok(environOf(child.pid as number).includes(KEY));
    } finally {
      child.kill('SIGKILL');
    }
  });

  it("another process reading the running CLI's /proc/<pid>/environ finds no key, and the key still reached the provider", async () => {
    world = escapeWorld();
    const s = markedSleep();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: `${s.command} & wait` } }] }, { kind: 'reply', text: 'done' });
    const run = startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes'], { cwd: world.ws, env: cliEnv(llm, world, { OPENAI_API_KEY: 'sk-openai-OTHER-29c', MY_SERVICE_TOKEN: 'tok-SERVICE-f00d' }) });
    try {
      assert.equal(await someRunning(s.marker), true);
      const environ = environOf(run.child.pid as number);
      for (const secret of [KEY, 'sk-openai-OTHER-29c', 'tok-SERVICE-f00d']) assert.equal(environ.includes(secret), false, `${secret} is readable`);
      assert.ok(environ.includes('ANTHROPIC_BASE_URL='), 'the rest of the environment is intact');
      assert.ok(JSON.stringify(llm.requests[0]?.headers).includes(KEY), 'the CLI still sent its key to the provider');
    } finally {
      run.child.kill('SIGTERM');
      await run.done;
    }
  });

  it('without a sandbox, an approved command reads its parent\'s and grandparent\'s environ: no key', async () => {
    world = escapeWorld();
    const env = cliEnv(llm, world, { BREAKWATER_BWRAP: path.join(world.base, 'no-bwrap') });
    const command = 'cat /proc/$PPID/environ | tr "\\0" "\\n"; gp=$(cut -d" " -f4 /proc/$PPID/stat); cat /proc/$gp/environ | tr "\\0" "\\n"; ps eww -A';
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command } }] }, { kind: 'reply', text: 'done' });
    const first = await startBuiltCli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], { cwd: world.ws, env }).done;
    assert.equal(first.code, 3, 'not sandboxed: --yes does not cover it');
    const runId = (JSON.parse(first.stdout) as { run_id: string }).run_id;
    const approved = await startBuiltCli(['--approve', runId, '--call', 'c1', '--json'], { cwd: world.ws, env }).done;
    assert.equal(approved.code, 0, approved.stderr);
    const saw = JSON.stringify(llm.requests.at(-1)?.body);
    assert.match(saw, /ANTHROPIC_BASE_URL=/, 'it did read the parent environment');
    assert.equal(saw.includes(KEY), false, 'the key was in it');
  });
});
