import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { JSDOM } from 'jsdom';
import { terminalApprover } from '../../../src/cli/terminalApprover';
import { CommandSandbox } from '../../../src/core/sandbox/commandSandbox';
import { detectSandbox } from '../../../src/core/sandbox/sandboxAvailability';
import { replayRunLog } from '../../../src/core/runs/runLog';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { testStoreOf } from '../../fixtures/stateHome';
import { renderApprovalCard } from '../../../src/webview/cards';
import { runCliInProcess } from '../cli/runCliInProcess';
import { makeHarness } from '../tools/harness';
import { cliEnv, escapeWorld, type EscapeWorld } from './sandboxHarness';

const sandboxYaml = (mode: string) => `  sandbox:\n    mode: ${mode}\n    network_allow: []\n`;

/**
 * Where no sandbox can start (no bwrap, a bwrap that cannot create namespaces, Windows, macOS) or the
 * user turned it off: `auto` makes every command ask every time, never covered by --yes or "always
 * allow", and says "not sandboxed" with the reason; `required` refuses commands and says how to
 * install the sandbox. Availability is made testable by pointing BREAKWATER_BWRAP elsewhere.
 */
describe('security: sandbox modes and availability', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  afterEach(() => world?.cleanup());

  const noBwrap = (w: EscapeWorld) => ({ BREAKWATER_BWRAP: path.join(w.base, 'missing-bwrap') });
  const cli = (args: string[], extra: Record<string, string> = {}) => runCliInProcess(args, (world as EscapeWorld).ws, cliEnv(llm, world as EscapeWorld, extra));
  const decidedOf = (runId: string) => {
    const e = replayRunLog(path.join(testStoreOf((world as EscapeWorld).ws), `${runId}.jsonl`)).events.find((x) => x.type === 'tool_call_decided');
    return e?.type === 'tool_call_decided' ? e.payload.prepared : undefined;
  };

  it('--status --json: sandboxed with bubblewrap where it works', async () => {
    world = escapeWorld();
    const r = await cli(['--status', '--json']);
    assert.deepEqual(r.json().sandbox, { available: true, mode: 'auto', kind: 'bubblewrap' });
    assert.match((await cli(['--status'])).out, /^sandbox: bubblewrap, commands run sandboxed \(mode auto\)$/m);
  });

  it('--status --json: not available without bwrap, and why', async () => {
    world = escapeWorld();
    const s = (await cli(['--status', '--json'], noBwrap(world))).json().sandbox;
    assert.equal(s.available, false);
    assert.equal(s.kind, 'none');
    assert.match(s.reason, /bubblewrap is not installed at .*missing-bwrap.*every command asks every time.*apt install bubblewrap/);
    assert.match((await cli(['--status'], noBwrap(world))).out, /^sandbox: none, commands are NOT sandboxed and each asks every time \(mode auto\)/m);
  });

  it('--status: a bwrap that cannot start a sandbox (no user namespaces) is not available', async () => {
    world = escapeWorld();
    const s = (await cli(['--status', '--json'], { BREAKWATER_BWRAP: '/bin/false' })).json().sandbox;
    assert.equal(s.available, false);
    assert.match(s.reason, /cannot start a sandbox here/);
  });

  it('--status: required without bwrap says commands are refused', async () => {
    world = escapeWorld(sandboxYaml('required'));
    assert.match((await cli(['--status'], noBwrap(world))).out, /^sandbox: none, commands are refused \(mode required\)/m);
  });

  it('--status: mode off is not sandboxed even where bwrap works', async () => {
    world = escapeWorld(sandboxYaml('off'));
    const s = (await cli(['--status', '--json'])).json().sandbox;
    assert.deepEqual([s.available, s.mode, s.kind], [true, 'off', 'none']);
    assert.match(s.reason, /off/);
  });

  it('auto without bwrap: --yes does not cover a command (exit 3, pending, nothing ran), the approval says not sandboxed', async () => {
    world = escapeWorld();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] }, { kind: 'reply', text: 'done' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], noBwrap(world));
    assert.equal(r.code, 3, r.err);
    assert.deepEqual(r.json().pending_approvals.map((p: { call_id: string }) => p.call_id), ['c1']);
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), false);
    const prepared = decidedOf(r.json().run_id);
    assert.equal(prepared?.decision.kind, 'ask_every_time');
    assert.match(prepared?.decision.reason ?? '', /not sandboxed: bubblewrap is not installed/);
    assert.match(String((prepared?.approval as { unsandboxed?: string } | undefined)?.unsandboxed), /^not sandboxed: /);
    assert.equal(llm.requests.length, 1, 'the model is not told anything until someone decides');
    // Approved by its own call id, it runs (without a sandbox: the user said so for this very call).
    const a = await cli(['--approve', r.json().run_id, '--call', 'c1', '--json'], noBwrap(world));
    assert.equal(a.code, 0, a.err);
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), true);
  });

  it('auto without bwrap: a resume under --yes still waits', async () => {
    world = escapeWorld();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] }, { kind: 'reply', text: 'done' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], noBwrap(world));
    assert.equal(r.code, 3);
    const again = await cli(['--resume', r.json().run_id, '--yes', '--json'], noBwrap(world));
    assert.equal(again.code, 3, 'a resume under --yes still waits');
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), false);
  });

  it('auto without bwrap: "always allow" of the same command does not cover it', async () => {
    const h = makeHarness({ sandbox: new CommandSandbox({ bwrap: '/nonexistent/bwrap' }) });
    try {
      const first = await h.prepare('bash', { command: 'touch granted' });
      assert.equal(first.decision.kind, 'ask_every_time');
      h.engine.grant('bash:touch granted');
      const second = await h.prepare('bash', { command: 'touch granted' });
      assert.equal(second.decision.kind, 'ask_every_time');
      assert.equal((await h.engine.execute(second, { by: 'yes_flag' }, new AbortController().signal)).status, 'blocked');
      assert.equal(fs.existsSync(path.join(h.root, 'granted')), false);
    } finally {
      h.cleanup();
    }
  });

  it('required without bwrap: the command is refused, nothing runs, the model is told how to install the sandbox', async () => {
    world = escapeWorld(sandboxYaml('required'));
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] }, { kind: 'reply', text: 'ok' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json'], noBwrap(world));
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json().tool_calls[0].status, 'blocked');
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), false);
    const saw = JSON.stringify(llm.requests.at(-1)?.body);
    assert.match(saw, /settings.sandbox.mode: required/);
    assert.match(saw, /apt install bubblewrap/);
  });

  it('off: every command asks every time even where bwrap works, and says why', async () => {
    world = escapeWorld(sandboxYaml('off'));
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json']);
    assert.equal(r.code, 3);
    assert.match(decidedOf(r.json().run_id)?.decision.reason ?? '', /not sandboxed: the OS sandbox is off/);
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), false);
  });

  it('a sandboxed command asks like any command (--yes covers it) and carries no "not sandboxed" mark', async () => {
    world = escapeWorld();
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] }, { kind: 'reply', text: 'done' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json']);
    assert.equal(r.code, 0, r.err);
    const prepared = decidedOf(r.json().run_id);
    assert.equal(prepared?.decision.kind, 'ask');
    assert.equal((prepared?.approval as { unsandboxed?: string } | undefined)?.unsandboxed, undefined);
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), true);
  });

  it('a command line over the OS limit fails with a clear error before anything is spawned', async () => {
    world = escapeWorld();
    const command = `touch started; echo ${'x'.repeat(200_000)}`;
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command } }] }, { kind: 'reply', text: 'ok' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json']);
    assert.equal(r.json().tool_calls[0].status, 'error');
    assert.equal(fs.existsSync(path.join(world.ws, 'started')), false);
    const saw = JSON.stringify(llm.requests.at(-1)?.body);
    assert.match(saw, /The command is 2000\d\d bytes; the operating system refuses more than 131071 bytes \(E2BIG\)/);
    assert.match(saw, /Write the script to a file/);
  });

  it('a protected name that is a symbolic link: the command does not run, and the reason says why', async () => {
    world = escapeWorld();
    fs.mkdirSync(path.join(world.base, 'shared-vscode'));
    fs.symlinkSync(path.join(world.base, 'shared-vscode'), path.join(world.ws, '.vscode'));
    llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'touch made' } }] }, { kind: 'reply', text: 'ok' });
    const r = await cli(['--agent', 'dev', '--prompt', 'go', '--yes', '--json']);
    assert.equal(r.json().tool_calls[0].status, 'error');
    assert.equal(fs.existsSync(path.join(world.ws, 'made')), false);
    assert.match(JSON.stringify(llm.requests.at(-1)?.body), /the OS sandbox could not be set up: .*\.vscode is a symbolic link/);
  });

  for (const [platform, words] of [['darwin', /macOS: this version of Breakwater has no Seatbelt profile/], ['win32', /Windows: there is no OS sandbox/]] as const) {
    it(`${platform}: no sandbox can start, and the reason says so`, async () => {
      const a = await detectSandbox({ platform });
      assert.equal(a.available, false);
      assert.match(a.available ? '' : a.reason, words);
      const c = await new CommandSandbox({ platform }).confinement({ mode: 'auto', networkAllow: [] });
      assert.equal(c.kind, 'unsandboxed');
      assert.equal((await new CommandSandbox({ platform }).confinement({ mode: 'required', networkAllow: [] })).kind, 'refused');
    });
  }

  it('the terminal prompt says NOT SANDBOXED, with the reason', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (d: Buffer) => (text += d.toString()));
    const ask = terminalApprover(input, output);
    const answer = ask(
      { runId: 'r', agent: 'dev', callId: 'c1', tool: 'bash', summary: 'bash: touch x', kind: 'ask_every_time', reason: 'bash: not sandboxed: bubblewrap (bwrap) is not installed — needs your approval every time', mayHaveRun: false, request: { tool: 'bash', command: { text: 'touch x', steps: ['touch x'] }, fields: [{ label: 'In', value: '/w' }], unsandboxed: 'not sandboxed: bubblewrap (bwrap) is not installed' } },
      new AbortController().signal,
    );
    input.write('n\n');
    await answer;
    assert.match(text, /⚠ NOT SANDBOXED: bubblewrap \(bwrap\) is not installed/);
    assert.doesNotMatch(text, /\[a\]lways/);
  });

  it('the approval card says "Not sandboxed" in words, with the reason', async () => {
    const { window } = new JSDOM('');
    const g = globalThis as { document?: Document };
    const previous = g.document;
    g.document = window.document;
    try {
      const card = renderApprovalCard(
        { kind: 'approval', runId: 'r', callId: 'c1', summary: 'bash: touch x', reason: 'needs approval', canAlwaysAllow: false, resolved: null, approval: { tool: 'bash', command: { text: 'touch x', steps: ['touch x'] }, fields: [{ label: 'In', value: '/w' }], unsandboxed: 'not sandboxed: bubblewrap (bwrap) is not installed' } },
        () => undefined,
      );
      assert.equal(card.querySelector('.bw-unsandboxed')?.textContent, 'Not sandboxed: bubblewrap (bwrap) is not installed');
      const sandboxed = renderApprovalCard({ kind: 'approval', runId: 'r', callId: 'c2', summary: 'bash: ls', reason: 'r', canAlwaysAllow: true, resolved: null, approval: { tool: 'bash', command: { text: 'ls', steps: ['ls'] }, fields: [{ label: 'In', value: '/w' }] } }, () => undefined);
      assert.equal(sandboxed.querySelector('.bw-unsandboxed'), null);
    } finally {
      g.document = previous;
    }
  });
});
