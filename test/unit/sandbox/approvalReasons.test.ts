import assert from 'node:assert/strict';
import type { ToolName } from '../../../src/core/config/schema';
import { decide, type ApprovalInput } from '../../../src/core/sandbox/approvalPolicy';
import { allow, ask, askEveryTime, block } from '../../../src/core/sandbox/decisions';
import type { ApprovalRequest } from '../../../src/core/tools/types';

/** The reason is what the approval card says: what the call does and why it needs the user, in plain words. */
describe('approval reasons on cards', () => {
  const input = (tool: ToolName, restriction = allow('nothing restricts this call'), subject?: ApprovalRequest, extra: Partial<ApprovalInput> = {}): ApprovalInput => ({
    tool,
    trusted: true,
    agentTools: [tool],
    agentName: 'coder',
    restriction,
    grants: new Set(),
    ...(subject ? { subject } : {}),
    ...extra,
  });
  const write = (relativePath: string): ApprovalRequest => ({ tool: 'write', path: `/ws/${relativePath}`, relativePath, diff: '', currentContent: null, proposedContent: 'x' });

  it('write names the file it creates or overwrites', () => {
    assert.deepEqual(decide(input('write', allow('a change inside the workspace'), write('src/x.ts'))), { kind: 'ask', reason: 'write: creates or overwrites src/x.ts — needs your approval' });
  });

  it('edit names the file it changes', () => {
    const subject: ApprovalRequest = { tool: 'edit', path: '/ws/a.md', relativePath: 'a.md', diff: '', currentContent: 'a', proposedContent: 'b' };
    assert.equal(decide(input('edit', allow('a change inside the workspace'), subject)).reason, 'edit: changes a.md — needs your approval');
  });

  it('bash says it runs a command in the workspace, and keeps its grant key for "always allow"', () => {
    const subject: ApprovalRequest = { tool: 'bash', command: 'npm test', subcommands: ['npm test'], cwd: '/ws' };
    assert.deepEqual(decide(input('bash', allow('allowed'), subject, { grantKey: 'bash:npm test' })), { kind: 'ask', reason: 'bash: runs a command in the workspace — needs your approval', grantKey: 'bash:npm test' });
  });

  it('http_request and ssh say what they contact', () => {
    const http: ApprovalRequest = { tool: 'http_request', method: 'POST', url: 'https://api.example.com/x', host: 'api.example.com' };
    assert.equal(decide(input('http_request', allow('ok'), http)).reason, 'http_request: sends a POST request to api.example.com — needs your approval');
    const ssh: ApprovalRequest = { tool: 'ssh', server: 'prod', target: 'deploy@10.0.0.5:22', command: 'uptime', subcommands: ['uptime'] };
    assert.equal(decide(input('ssh', allow('ok'), ssh)).reason, 'ssh: runs a command on prod (deploy@10.0.0.5:22) — needs your approval');
  });

  it("a tool rule's own ask keeps its words, framed the same way", () => {
    assert.equal(decide(input('http_request', ask('request to example.com', 'http:example.com'))).reason, 'http_request: request to example.com — needs your approval');
  });

  it('a protected path names the rule and asks every time', () => {
    const d = decide(input('write', askEveryTime('write .vscode/settings.json: writes inside .vscode/ change how the workspace, the editor or Breakwater behave'), write('.vscode/settings.json')));
    assert.equal(d.kind, 'ask_every_time');
    assert.equal(d.reason, 'write: .vscode/settings.json is a protected path (.git/, .vscode/, .breakwater/ and .breakwaterignore) — writes inside .vscode/ change how the workspace, the editor or Breakwater behave — needs your approval every time');
  });

  it('a likely secret names the secret-file rule', () => {
    const subject: ApprovalRequest = { tool: 'read', path: '/ws/.env.local', relativePath: '.env.local' };
    assert.equal(decide(input('read', askEveryTime('reading .env.local: .env.local may hold secrets'), subject)).reason, 'read: .env.local may hold secrets (secret-file rule: .env*, *.pem, *.key, id_rsa*) — needs your approval every time');
  });

  it('a command the shell policy cannot see through names the policy', () => {
    const d = decide(input('bash', askEveryTime('it uses command substitution ($(…) or `…`), which runs commands hidden inside arguments'), undefined, { grantKey: 'bash:x' }));
    assert.equal(d.kind, 'ask_every_time');
    assert.match(d.reason, /^bash: it uses command substitution .* \(shell policy: no "always allow" for this\) — needs your approval every time$/);
  });

  it('blocks and grants keep their reasons', () => {
    assert.deepEqual(decide(input('write', block('outside the workspace'), write('x'))), { kind: 'block', reason: 'outside the workspace' });
    assert.equal(decide(input('bash', allow('ok'), undefined, { grantKey: 'bash:ls', grants: new Set(['bash:ls']) })).kind, 'allow');
  });
});
