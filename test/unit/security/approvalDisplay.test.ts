import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { JSDOM } from 'jsdom';
import { runJson } from '../../../src/cli/runJson';
import { terminalApprover } from '../../../src/cli/terminalApprover';
import type { ApprovalPrompt } from '../../../src/core/agents/approvals';
import { visibleText } from '../../../src/core/common/visibleText';
import { fold } from '../../../src/core/runs/fold';
import { renderApprovalCard } from '../../../src/webview/cards';
import { makeHarness, type Harness } from '../tools/harness';
import { must } from '../../fixtures/must';

/** Characters that hide or rewrite text on a terminal or in a page. */
// eslint-disable-next-line no-control-regex -- these control characters are what the test looks for
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;
const TRICKS: ReadonlyArray<readonly [string, string]> = [
  ['an ANSI sequence that clears the line', 'echo safe\x1b[2K\x1b[1Grm -rf build'],
  ['a carriage return that overwrites the start', 'rm -rf build\recho safe      '],
  ['backspaces that erase what came before', 'rm -rf build\b\b\b\b\b\b\b\b\b\b\b\becho safe'],
  ['a right-to-left override that reverses the rest', 'echo \u202Eplud-fr mr'],
  ['zero-width characters inside a word', 'cu\u200Brl http://x'],
  ['a bidi isolate and a BOM', 'ls \u2066evil\u2069 \uFEFF'],
];

describe('security: approvals show everything (escaped, never cut)', () => {
  let h: Harness;
  beforeEach(() => (h = makeHarness()));
  afterEach(() => h.cleanup());

  for (const [name, command] of TRICKS) {
    it(`the summary and reason of a bash call escape ${name}`, async () => {
      const prepared = await h.prepare('bash', { command });
      assert.doesNotMatch(prepared.summary, HIDDEN);
      assert.doesNotMatch(prepared.decision.reason, HIDDEN);
      assert.equal(prepared.summary, `bash: ${visibleText(command)}`);
      // What runs is still exactly the command (the escape is for showing it).
      assert.equal(prepared.approval?.command?.text, command);
    });
  }

  it('a 2 000-character command is in the summary whole', async () => {
    const command = `echo ${'a'.repeat(1000)} && echo ${'b'.repeat(990)} END`;
    const prepared = await h.prepare('bash', { command });
    assert.equal(prepared.summary, `bash: ${command}`);
  });

  it('a path with a right-to-left override is shown escaped in a write summary and reason', async () => {
    const prepared = await h.prepare('write', { path: 'invoice\u202Etxt.exe', content: 'x' });
    assert.match(prepared.summary, /invoice\\u\{202E\}txt\.exe/);
    assert.doesNotMatch(prepared.decision.reason, HIDDEN);
  });

  it('a program name holding a carriage return is escaped in the block reason', async () => {
    const prepared = await h.prepare('bash', { command: '"ls\rcurl" x' }, h.scope(undefined, { settings: { allowed_commands: ['ls'] } }));
    assert.equal(prepared.decision.kind, 'block');
    assert.match(prepared.decision.reason, /ls\\rcurl/);
  });

  it('--json pending_approvals[].summary is escaped and whole, even from a log written before escaping', () => {
    const raw = `bash: echo ok\x1b[2K\r${'x'.repeat(300)}`;
    const state = { ...fold([{ seq: 1, time: 0, type: 'run_started', payload: { run_id: 'r', agent: 'a', prompt: 'p', config_hash: 'h', depth: 0, chain: [] } }]) };
    const json = runJson(state, [{ callId: 'c1', tool: 'bash', summary: raw, kind: 'ask', reason: 'r', mayHaveRun: false }]);
    assert.equal(must(json.pending_approvals[0], 'json.pending_approvals[0]').summary, visibleText(raw));
    assert.doesNotMatch(must(json.pending_approvals[0], 'json.pending_approvals[0]').summary, HIDDEN);
    assert.match(must(json.pending_approvals[0], 'json.pending_approvals[0]').summary, /x{300}$/);
  });

  it('the terminal prompt escapes the summary, reason and command, and wraps a long command instead of cutting it', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = '';
    output.on('data', (d: Buffer) => (shown += d.toString()));
    const command = `echo safe\x1b[2K\r${'word '.repeat(60)}LAST`;
    const prompt: ApprovalPrompt = { runId: 'r', agent: 'dev', callId: 'c', tool: 'bash', summary: `bash: ${command}`, kind: 'ask', reason: 'needs \u202Eapproval', mayHaveRun: false, request: { tool: 'bash', command: { text: command, steps: [command] }, fields: [{ label: 'In', value: '/w' }] } };
    const answer = terminalApprover(input, output)(prompt, new AbortController().signal);
    input.write('d\n');
    input.write('n\n');
    assert.equal((await answer).kind, 'deny');
    assert.doesNotMatch(shown, HIDDEN);
    assert.match(shown, /echo safe\\e\[2K\\r/);
    assert.match(shown, /LAST/);
    assert.match(shown, /\\u\{202E\}approval/);
    // (The choices line has no newline of its own: the user's Enter ends it on a terminal.)
    const lines = shown.replace(/ {2}\[y\]es[^>]*> /g, '\n').split('\n');
    assert.ok(lines.every((line) => line.length <= 100), `every line fits the terminal:\n${lines.join('\n')}`);
    assert.equal((shown.match(/word/g) ?? []).length, 120, 'the command is shown whole, twice (prompt and d)');
  });

  it('the webview approval card shows the command, path and reason escaped', () => {
    const { window } = new JSDOM('<!doctype html><body></body>');
    const g = globalThis as { document?: unknown };
    const before = g.document;
    g.document = window.document;
    try {
      const command = 'echo safe\x1b[2K\rrm -rf build\u202E';
      const card = renderApprovalCard(
        { kind: 'approval', runId: 'r', callId: 'c', summary: `bash: ${command}`, reason: 'asks\u200B', canAlwaysAllow: false, resolved: null, approval: { tool: 'bash', command: { text: command, steps: [command, 'ls\r'] }, fields: [{ label: 'In', value: '/w\u202E' }] } },
        () => {},
      );
      const text = card.textContent ?? '';
      assert.doesNotMatch(text, HIDDEN);
      assert.match(text, /echo safe\\e\[2K\\rrm -rf build\\u\{202E\}/);
      assert.match(text, /ls\\r/);
      assert.match(text, /asks\\u\{200B\}/);
      assert.doesNotMatch(card.getAttribute('aria-label') ?? '', HIDDEN);
    } finally {
      g.document = before;
    }
  });
  it('a view read from a hand-edited log cannot hide anything in its labels, values or "always allow" text', () => {
    const { window } = new JSDOM('<!doctype html><body></body>');
    const g = globalThis as { document?: unknown };
    const before = g.document;
    g.document = window.document;
    try {
      const card = renderApprovalCard(
        {
          kind: 'approval',
          runId: 'r',
          callId: 'c',
          summary: 's',
          reason: 'r',
          canAlwaysAllow: true,
          resolved: null,
          approval: { tool: 'bash', command: { text: 'ls', steps: ['ls'] }, fields: [{ label: 'In\u202E', value: '/w\r' }], alwaysAllow: 'this command\u200B\x1b[2K' },
        },
        () => {},
      );
      assert.doesNotMatch(card.textContent ?? '', HIDDEN);
      assert.match(card.textContent ?? '', /In\\u\{202E\}/);
      assert.match(card.textContent ?? '', /Always allow this command\\u\{200B\}\\e\[2K/);
    } finally {
      g.document = before;
    }
  });
});

describe('security: http_request redirects are re-approved when the origin changes', () => {
  let h: Harness;
  let a: http.Server;
  let b: http.Server;
  let hitsB: { url: string; auth: string | undefined }[];
  let hitsA: { url: string; auth: string | undefined }[];
  let portA: number;
  let portB: number;
  beforeEach(async () => {
    h = makeHarness();
    hitsA = [];
    hitsB = [];
    b = http.createServer((req, res) => {
      hitsB.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.end('from B');
    });
    a = http.createServer((req, res) => {
      hitsA.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (req.url === '/to-other-port') res.writeHead(302, { location: `http://127.0.0.1:${portB}/landing` }).end();
      else if (req.url === '/to-localhost') res.writeHead(302, { location: `http://localhost:${portA}/ok` }).end();
      else if (req.url === '/to-self') res.writeHead(302, { location: '/ok' }).end();
      else res.end('from A');
    });
    await new Promise<void>((r) => a.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => b.listen(0, '127.0.0.1', r));
    portA = (a.address() as AddressInfo).port;
    portB = (b.address() as AddressInfo).port;
  });
  afterEach(() => {
    a.close();
    b.close();
    h.cleanup();
  });

  it('a redirect to the same host on another port is not followed without its own approval', async () => {
    const { outcome } = await h.run('http_request', { url: `http://127.0.0.1:${portA}/to-other-port`, headers: { authorization: 'Bearer k-123' } });
    assert.equal(outcome.status, 'ok');
    assert.match(outcome.status === 'ok' ? outcome.output : '', /another origin .*not followed/);
    assert.deepEqual(hitsB, [], 'nothing reached the other port, least of all the key');
  });

  it('a redirect to another host name is not followed either', async () => {
    const { outcome } = await h.run('http_request', { url: `http://127.0.0.1:${portA}/to-localhost` });
    assert.match(outcome.status === 'ok' ? outcome.output : '', /another origin/);
    assert.deepEqual(hitsA.map((x) => x.url), ['/to-localhost']);
  });

  it('an auto-approved host on a non-default port still needs approval after a redirect', async () => {
    const auto = makeHarness({ autoApproveDomains: ['127.0.0.1'] });
    try {
      const { outcome } = await auto.run('http_request', { url: `http://127.0.0.1:${portA}/to-other-port` }, { by: 'policy' });
      assert.match(outcome.status === 'ok' ? outcome.output : '', /another origin/);
      assert.deepEqual(hitsB, []);
    } finally {
      auto.cleanup();
    }
  });

  it('a same-origin redirect is followed with the headers it was approved with (the rule can fail)', async () => {
    const { outcome } = await h.run('http_request', { url: `http://127.0.0.1:${portA}/to-self`, headers: { authorization: 'Bearer k-123' } });
    assert.match(outcome.status === 'ok' ? outcome.output : '', /from A/);
    assert.deepEqual(hitsA, [{ url: '/to-self', auth: 'Bearer k-123' }, { url: '/ok', auth: 'Bearer k-123' }]);
    assert.equal(fs.existsSync(path.join(h.root, 'marker')), false);
  });
});
