import assert from 'node:assert/strict';
import { decide, type ApprovalInput } from '../../../src/core/sandbox/approvalPolicy';
import { allow, ask, askEveryTime, block } from '../../../src/core/sandbox/decisions';
import type { Decision } from '../../../src/core/tools/types';
import { makeHarness, type Harness } from '../tools/harness';

/**
 * The reason is what the approval card says: what the call does and why it needs the user, in plain
 * words. The words come from each tool's definition (what it does, the rule behind an ask-every-time)
 * and the policy frames them, so they are checked through the real tools.
 */
describe('approval reasons on cards', () => {
  let h: Harness;
  beforeEach(() => (h = makeHarness()));
  afterEach(() => h.cleanup());
  const decisionOf = async (tool: string, args: unknown, scope = h.scope()): Promise<Decision> => (await h.prepare(tool, args, scope)).decision;

  it('write names the file it creates or overwrites', async () => {
    assert.deepEqual(await decisionOf('write', { path: 'src/x.ts', content: 'x' }), { kind: 'ask', reason: 'write: creates or overwrites src/x.ts — needs your approval' });
  });

  it('edit names the file it changes', async () => {
    h.file('a.md', 'a');
    assert.equal((await decisionOf('edit', { path: 'a.md', old_string: 'a', new_string: 'b' })).reason, 'edit: changes a.md — needs your approval');
  });

  it('bash says it runs a command in the workspace, and keeps its grant key for "always allow"', async () => {
    assert.deepEqual(await decisionOf('bash', { command: 'npm test' }), { kind: 'ask', reason: 'bash: runs a command in the workspace — needs your approval', grantKey: 'bash:npm test' });
  });

  it('http_request and ssh say what they contact', async () => {
    assert.equal((await decisionOf('http_request', { url: 'http://127.0.0.1:9/x', method: 'POST' })).reason, 'http_request: sends a POST request to 127.0.0.1 — needs your approval');
    const scope = h.scope(undefined, { servers: { prod: { host: '10.0.0.5', user: 'deploy' } } }, { servers: ['prod'] });
    assert.equal((await decisionOf('ssh', { host: 'prod', command: 'uptime' }, scope)).reason, 'ssh: runs a command on prod (deploy@10.0.0.5:22) — needs your approval');
  });

  it('a protected path names the rule and asks every time', async () => {
    const d = await decisionOf('write', { path: '.vscode/settings.json', content: '{}' });
    assert.equal(d.kind, 'ask_every_time');
    assert.equal(d.reason, 'write: .vscode/settings.json is a protected path (.git/, .vscode/, .breakwater/ and .breakwaterignore) — writes inside .vscode/ change how the workspace, the editor or Breakwater behave — needs your approval every time');
  });

  it('a likely secret names the secret-file rule', async () => {
    h.file('.env.local', 'KEY=1\n');
    assert.equal((await decisionOf('read', { path: '.env.local' })).reason, 'read: .env.local may hold secrets (secret-file rule: .env*, *.pem, *.key, id_rsa*) — needs your approval every time');
    assert.equal((await decisionOf('grep', { pattern: 'KEY', path: '.env.local' })).reason, 'grep: .env.local may hold secrets (secret-file rule: .env*, *.pem, *.key, id_rsa*) — needs your approval every time');
  });

  it('a command the shell policy cannot see through names the policy', async () => {
    const d = await decisionOf('bash', { command: 'echo $(whoami)' });
    assert.equal(d.kind, 'ask_every_time');
    assert.match(d.reason, /^bash: it uses command substitution .* \(shell policy: no "always allow" for this\) — needs your approval every time$/);
  });
});

/** The policy itself: it frames what a tool says and layers trust, the agent's list, the baseline and grants. */
describe('approval policy framing', () => {
  const input = (tool: string, restriction: Decision, extra: Partial<ApprovalInput> = {}): ApprovalInput => ({
    tool,
    readOnly: false,
    readOnlyTools: ['read', 'list_dir', 'glob', 'grep'],
    trusted: true,
    agentTools: [tool],
    agentName: 'coder',
    restriction,
    grants: new Set(),
    ...extra,
  });

  it('frames what the call does as the baseline ask, and an unknown effect in general words', () => {
    assert.deepEqual(decide(input('deploy', allow('ok'), { does: 'ships the build to staging' })), { kind: 'ask', reason: 'deploy: ships the build to staging — needs your approval' });
    assert.equal(decide(input('deploy', allow('ok'))).reason, 'deploy: acts outside the read-only tools — needs your approval');
  });

  it("a tool rule's own ask keeps its words, framed the same way", () => {
    assert.equal(decide(input('http_request', ask('request to example.com', 'http:example.com'))).reason, 'http_request: request to example.com — needs your approval');
  });

  it("an ask-every-time keeps the tool's whole explanation", () => {
    assert.deepEqual(decide(input('deploy', askEveryTime('production is frozen (release rule)'))), { kind: 'ask_every_time', reason: 'deploy: production is frozen (release rule) — needs your approval every time' });
  });

  it('a read-only tool is allowed; in Restricted Mode only the read-only tools are, and the refusal names them', () => {
    assert.equal(decide(input('read', allow('ok'), { readOnly: true })).kind, 'allow');
    const refused = decide(input('write', allow('ok'), { trusted: false }));
    assert.equal(refused.kind, 'block');
    assert.match(refused.reason, /only read, list_dir, glob and grep are available.*agents use write/);
    assert.equal(decide(input('read', allow('ok'), { readOnly: true, trusted: false })).kind, 'allow');
  });

  it('blocks and grants keep their reasons', () => {
    assert.deepEqual(decide(input('write', block('outside the workspace'))), { kind: 'block', reason: 'outside the workspace' });
    assert.equal(decide(input('bash', allow('ok'), { grantKey: 'bash:ls', grants: new Set(['bash:ls']) })).kind, 'allow');
  });
});
