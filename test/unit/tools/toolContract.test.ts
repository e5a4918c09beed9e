import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { JSDOM } from 'jsdom';
import { z } from 'zod';
import { terminalApprover } from '../../../src/cli/terminalApprover';
import type { ApprovalPrompt } from '../../../src/core/agents/approvals';
import { configSchema, TOOL_NAMES } from '../../../src/core/config/schema';
import { RunStore } from '../../../src/core/runs/runStore';
import { allow, block } from '../../../src/core/sandbox/decisions';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { approvalRequestSchema, toApprovalView, type ApprovalRequest } from '../../../src/core/tools/approvalView';
import { storedCallSchema } from '../../../src/core/tools/preparedCall';
import { BUILTIN_TOOLS, ToolRegistry } from '../../../src/core/tools/registry';
import { defineTool } from '../../../src/core/tools/toolDefinition';
import { createToolEngine } from '../../../src/core/tools/toolEngine';
import type { PreparedCall, StoredCall, ToolScope } from '../../../src/core/tools/types';
import { renderApprovalCard } from '../../../src/webview/cards';
import { makeHarness, type Harness } from './harness';

/**
 * What a tool must provide, proven by a tool that exists only in this file: a name, a description, an
 * argument schema, the read-only and unverifiable flags, a `judge` (restrictions, what it does, the
 * approval view, undo information) and a `run`. Registered next to the built-in ones, it goes through
 * everything a built-in tool goes through — prepare, the approval card, the terminal prompt, execute,
 * and a stored call read back from a run log and executed by another engine — with no other file
 * changed. Then the nine built-in tools are held to the same contract.
 */

/** Appends a line to a file in the workspace. */
const echoTool = defineTool({
  name: 'echo',
  description: 'Append a line of text to a file in the workspace.',
  schema: z.strictObject({ text: z.string().min(1).describe('The line to add.'), file: z.string().min(1).describe('Workspace-relative file.') }),
  readOnly: false,
  // An appended line cannot be told apart from one that was there: after a crash, ask again.
  unverifiable: true,
  async judge(args, ctx) {
    const summary = `echo ${args.text} >> ${args.file}`;
    const r = await ctx.sandbox.resolve(args.file, 'write');
    if (!r.ok) return { restriction: block(r.reason), summary };
    const approval: ApprovalRequest = { tool: 'echo', command: { text: `echo ${args.text}`, steps: [`echo ${args.text}`] }, fields: [{ label: 'To', value: r.path }], alwaysAllow: `echoing to ${r.relativePath}` };
    return { restriction: allow('inside the workspace'), does: `appends a line to ${r.relativePath}`, summary, approval, grantKey: `echo:${r.path}`, target: r.path };
  },
  async run(args, _ctx, judgement) {
    const target = judgement.target ?? '';
    await fs.promises.appendFile(target, `${args.text}\n`);
    return { status: 'ok', output: `added 1 line to ${args.file}`, truncated: false };
  },
});

function withDocument<T>(fn: () => T): T {
  const { window } = new JSDOM('<!doctype html><body></body>');
  const g = globalThis as { document?: unknown };
  const before = g.document;
  g.document = window.document;
  try {
    return fn();
  } finally {
    g.document = before;
  }
}

/** The card's text and its buttons' labels for a prepared call's view. */
function card(prepared: PreparedCall, canAlwaysAllow: boolean): { text: string; buttons: string[] } {
  const approval = prepared.approval;
  assert.ok(approval !== undefined, `${prepared.tool} asks, so it has an approval view`);
  return withDocument(() => {
    const el = renderApprovalCard({ kind: 'approval', runId: 'r', callId: prepared.callId, summary: prepared.summary, reason: prepared.decision.reason, canAlwaysAllow, resolved: null, approval: toApprovalView(approval) }, () => undefined);
    return { text: el.textContent ?? '', buttons: [...el.querySelectorAll('button')].map((b) => (b.textContent ?? '').trim()) };
  });
}

/** What the terminal prompt prints for a call, after the user asks for details ([d]) and answers `answer`. */
async function prompt(prepared: PreparedCall, answer: string): Promise<{ shown: string; result: unknown }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (d: Buffer) => (shown += d.toString()));
  const kind = prepared.decision.kind === 'ask_every_time' ? 'ask_every_time' : 'ask';
  const p: ApprovalPrompt = { runId: 'r', agent: 'tester', callId: prepared.callId, tool: prepared.tool, summary: prepared.summary, kind, reason: prepared.decision.reason, mayHaveRun: false, ...(prepared.approval ? { request: prepared.approval } : {}) };
  const result = terminalApprover(input, output)(p, new AbortController().signal);
  input.end(`d\n${answer}\n`);
  return { result: await result, shown };
}

/** Records a prepared call in a real run log, then reads it back as another process would. */
async function storeAndReadBack(storeRoot: string, prepared: PreparedCall): Promise<StoredCall> {
  const { previousContent: _kept, ...stored } = prepared;
  const writer = new RunStore(new StoreLayout(storeRoot)).openWriter('r-20250101-000000-abcdef');
  writer.append('run_started', { run_id: 'r-20250101-000000-abcdef', agent: 'tester', prompt: 'p', config_hash: 'h' });
  writer.append('assistant_message', { turn: 0, text: '', tool_calls: [{ id: prepared.callId, name: prepared.tool, args: prepared.args }] });
  writer.append('tool_call_requested', { call_id: prepared.callId, tool: prepared.tool, args: prepared.args });
  writer.append('tool_call_decided', { call_id: prepared.callId, prepared: stored });
  await writer.close();
  const call = new RunStore(new StoreLayout(storeRoot)).state('r-20250101-000000-abcdef').toolCalls.find((c) => c.id === prepared.callId);
  assert.ok(call?.prepared !== undefined, 'the stored call reads back');
  return call.prepared;
}

describe('a tool is one definition', () => {
  let h: Harness;
  let storeRoot: string;
  beforeEach(() => {
    h = makeHarness({ tools: new ToolRegistry([...BUILTIN_TOOLS, echoTool]) });
    storeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-contract-store-'));
  });
  afterEach(() => {
    h.cleanup();
    fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  it('a tool defined and registered in this file alone is offered, judged, shown, run, stored and replayed', async () => {
    const cfg = configSchema.parse({ agents: { tester: {} } });
    const tester = cfg.agents.tester;
    assert.ok(tester !== undefined);
    const scope: ToolScope = { agentName: 'tester', agent: { ...tester, tools: ['read', 'echo'] }, config: cfg };

    // Offered to the model with its JSON Schema.
    const spec = h.engine.specs(['read', 'echo']).find((s) => s.name === 'echo');
    assert.ok(spec !== undefined);
    assert.deepEqual(Object.keys((z.toJSONSchema(spec.parameters) as { properties: object }).properties), ['text', 'file']);

    // Judged by the one approval policy, in the tool's own words.
    const prepared = await h.prepare('echo', { text: 'hello', file: 'log.txt' }, scope);
    assert.deepEqual(prepared.decision, { kind: 'ask', reason: 'echo: appends a line to log.txt — needs your approval', grantKey: `echo:${path.join(h.root, 'log.txt')}` });
    assert.equal(prepared.unverifiable, true);
    assert.equal(approvalRequestSchema.safeParse(prepared.approval).success, true);
    const invalid = await h.prepare('echo', { text: '' }, scope);
    assert.match(invalid.invalid ?? '', /Invalid arguments for echo/);
    const notGiven = await h.prepare('echo', { text: 'x', file: 'log.txt' });
    assert.match(notGiven.decision.reason, /not given the echo tool/);

    // The card and the terminal prompt draw it without knowing it.
    const c = card(prepared, true);
    assert.match(c.text, /Command\s*echo hello/);
    assert.ok(c.text.includes(`To${path.join(h.root, 'log.txt')}`), c.text);
    assert.deepEqual(c.buttons, ['Approve', 'Deny', 'Always allow echoing to log.txt']);
    const t = await prompt(prepared, 'a');
    assert.match(t.shown, /wants to echo hello >> log\.txt/);
    assert.match(t.shown, /\[a\]lways/);
    assert.match(t.shown, /\$ echo hello\n {2}To: /);
    assert.deepEqual(t.result, { kind: 'grant', by: 'user', always: true });

    // Nothing runs without the approval it needs; with it, the tool runs.
    assert.equal((await h.engine.execute(prepared, { by: 'policy' }, new AbortController().signal)).status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'log.txt')), false);

    // Stored in a run log, read back and executed by another engine (another process after a restart).
    const stored = await storeAndReadBack(storeRoot, prepared);
    assert.deepEqual(stored.approval, prepared.approval);
    const other = createToolEngine({ host: { workspaceFolders: [h.root], trusted: true, ripgrepPath: 'rg' }, tools: new ToolRegistry([...BUILTIN_TOOLS, echoTool]) });
    const outcome = await other.execute(stored, { by: 'user' }, new AbortController().signal);
    assert.deepEqual(outcome, { status: 'ok', output: 'added 1 line to log.txt', truncated: false });
    assert.equal(fs.readFileSync(path.join(h.root, 'log.txt'), 'utf8'), 'hello\n');
    // After a crash it could not be checked: the engine says so (the run asks again).
    assert.equal(await other.checkApplied(stored), 'changed');
    assert.ok(other.stats().some((s) => s.tool === 'echo' && s.calls === 1));

    // An engine without it refuses the stored call instead of guessing.
    const plain = createToolEngine({ host: { workspaceFolders: [h.root], trusted: true, ripgrepPath: 'rg' } });
    assert.match((await plain.execute(stored, { by: 'user' }, new AbortController().signal)).status, /error/);
  });

  it('two tools may not share a name', () => {
    assert.throws(() => new ToolRegistry([...BUILTIN_TOOLS, defineTool({ ...{ name: 'read', description: 'x', schema: z.object({}), readOnly: true, unverifiable: false }, judge: () => Promise.resolve({ restriction: allow('x'), summary: 'x' }), run: () => Promise.resolve({ status: 'ok' as const, output: '', truncated: false }) })]), /two tools are named "read"/);
  });
});

/** The tools' names and parameters (part of the interface): what the model sees, exactly (`?` marks optional). */
const PRODUCT_TOOLS: Record<string, string[]> = {
  read: ['path', 'encoding?'],
  write: ['path', 'content', 'append?'],
  edit: ['path', 'old_string', 'new_string', 'replace_all?'],
  list_dir: ['path?', 'recursive?', 'include_hidden?'],
  glob: ['pattern', 'base_dir?'],
  grep: ['pattern', 'path', 'recursive?'],
  bash: ['command', 'working_dir?'],
  http_request: ['url', 'method?', 'headers?', 'body?', 'timeout?'],
  ssh: ['host', 'command'],
};

describe('the nine built-in tools keep the same contract', () => {
  let h: Harness;
  let storeRoot: string;
  beforeEach(() => {
    h = makeHarness();
    storeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-contract-store-'));
  });
  afterEach(() => {
    h.cleanup();
    fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  it('names and parameters are the documented ones; delegate is the run layer’s tenth', () => {
    assert.deepEqual([...TOOL_NAMES], [...Object.keys(PRODUCT_TOOLS), 'delegate']);
    for (const tool of BUILTIN_TOOLS) {
      const schema = z.toJSONSchema(tool.parameters, { io: 'input' }) as { properties: Record<string, unknown>; required?: string[] };
      const required = new Set(schema.required ?? []);
      const params = Object.keys(schema.properties).map((p) => (required.has(p) ? p : `${p}?`));
      assert.deepEqual(params, PRODUCT_TOOLS[tool.name], tool.name);
      assert.ok(tool.description.length > 20, `${tool.name} tells the model what it does`);
    }
  });

  it('only read, list_dir, glob and grep are read-only; only bash, http_request and ssh are unverifiable', () => {
    assert.deepEqual(BUILTIN_TOOLS.filter((t) => t.readOnly).map((t) => t.name), ['read', 'list_dir', 'glob', 'grep']);
    assert.deepEqual(BUILTIN_TOOLS.filter((t) => t.unverifiable).map((t) => t.name), ['bash', 'http_request', 'ssh']);
  });

  it('each one that asks gives a view the card and the prompt draw, and its call survives the run log whole', async () => {
    h.file('notes.md', 'old\n');
    h.file('.env', 'TOKEN=x\n');
    const sshScope = h.scope(undefined, { servers: { box: { host: '127.0.0.1', port: 1, user: 'deploy' } } }, { servers: ['box'] });
    const asking: [string, unknown, ToolScope?][] = [
      ['read', { path: '.env' }],
      ['grep', { pattern: 'TOKEN', path: '.env' }],
      ['write', { path: 'src/new.ts', content: 'x\n' }],
      ['edit', { path: 'notes.md', old_string: 'old', new_string: 'new' }],
      ['bash', { command: 'echo hi' }],
      ['http_request', { url: 'http://127.0.0.1:9/x' }],
      ['ssh', { host: 'box', command: 'uptime' }, sshScope],
    ];
    for (const [tool, args, scope] of asking) {
      const prepared = await h.prepare(tool, args, scope);
      assert.ok(prepared.decision.kind === 'ask' || prepared.decision.kind === 'ask_every_time', `${tool}: ${prepared.decision.reason}`);
      assert.equal(approvalRequestSchema.safeParse(prepared.approval).success, true, tool);
      assert.match(prepared.decision.reason, new RegExp(`^${tool}: .* — needs your approval`));
      const c = card(prepared, prepared.decision.kind === 'ask');
      for (const f of prepared.approval?.fields ?? []) assert.ok(c.text.includes(f.value), `${tool}: the card shows ${f.label}`);
      assert.equal(c.buttons.includes('View Diff'), prepared.approval?.change !== undefined, tool);
      const t = await prompt(prepared, 'n');
      // "Always" only where the call says what it would cover, and never for ask-every-time.
      assert.equal(t.shown.includes('[a]lways'), prepared.decision.kind === 'ask' && prepared.approval?.alwaysAllow !== undefined, tool);
      assert.equal(c.buttons.some((b) => b.startsWith('Always allow')), prepared.decision.kind === 'ask' && prepared.approval?.alwaysAllow !== undefined, tool);
      if (prepared.approval?.command) assert.ok(t.shown.includes(`$ ${prepared.approval.command.text}`), tool);
      if (prepared.approval?.change) assert.ok(t.shown.includes(prepared.approval.change.diff.split('\n').at(-2) ?? '?'), tool);
      fs.rmSync(storeRoot, { recursive: true, force: true });
      const stored = await storeAndReadBack(storeRoot, prepared);
      const { previousContent: _dropped, ...expected } = prepared;
      assert.deepEqual(stored, storedCallSchema.parse(JSON.parse(JSON.stringify(expected))), `${tool}: nothing lost in the log`);
    }
  });

  it('list_dir and glob never ask inside the workspace, and run', async () => {
    h.file('src/a.ts', 'x');
    for (const [tool, args] of [['list_dir', { path: '.' }], ['glob', { pattern: '**/*.ts' }]] as const) {
      const { prepared, outcome } = await h.run(tool, args, { by: 'policy' });
      assert.equal(prepared.decision.kind, 'allow', tool);
      assert.equal(prepared.approval, undefined, tool);
      assert.equal(outcome.status, 'ok', tool);
    }
  });
});
