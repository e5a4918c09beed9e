import * as assert from 'node:assert/strict';
import { testStoreOf } from '../fixtures/stateHome';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { replayRunLog, RunLogWriter } from '../../src/core/runs/runLog';
import { isStoreWriteError } from '../../src/core/store/storeFaults';
import { runBuiltCli, makeWorkspace } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * Faults in the store itself, with real CLI processes: damaged state files warn once (naming the file, and the
 * line for JSONL) and the work goes on; a full disk (a real tmpfs) or a read-only store (a real read-only bind
 * mount: permissions would not stop root) stop the run with "could not record …", exit 1 and no stack trace,
 * before anything is sent or run — and the run goes on once the store takes writes again.
 */
const AGENTS = 'agents:\n  a:\n    role: You answer.\n    provider: anthropic\n    model: sonnet\n    tools: [bash]\n';
const STACK = /\n\s+at .+:\d+:\d+/;

function mount(args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
}

/** Writes zeros until the file system is full. */
function fill(dir: string): string {
  const file = path.join(dir, 'filler');
  const fd = fs.openSync(file, 'w');
  const chunk = Buffer.alloc(4096);
  try {
    for (;;) fs.writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

describe('store faults: damaged, full and read-only stores (real CLI processes)', function () {
  this.timeout(120_000);
  const llm = useFakeLlm();
  before(function () {
    this.timeout(60_000);
    
  });
  const env = () => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url });

  describe('damaged state files: one warning naming the file, and --status, --runs and a run still work', () => {
    const damage: Record<string, { file: string; content: (old: string) => string; warning: RegExp }> = {
      'breakers.json': { file: 'breakers.json', content: () => '{ "version": 1, "breakers": ', warning: /breakers\.json is damaged/ },
      'tool-breakers.json': { file: 'tool-breakers.json', content: () => 'SyntaxError bait', warning: /tool-breakers\.json is damaged/ },
      'answer-cache.json': { file: 'answer-cache.json', content: () => '{"version":1,"entries":', warning: /answer-cache\.json is not JSON/ },
      'a costs.jsonl line': { file: 'costs.jsonl', content: (old) => `${old}{"at": oops\n`, warning: /costs\.jsonl line 2 is damaged/ },
      'a shared-state line': { file: 'shared/00000001.jsonl', content: (old) => `${old}\n{"k":"admit",\n`, warning: /00000001\.jsonl line \d+ is not JSON/ },
      'the shared-state header': { file: 'shared/00000001.jsonl', content: () => 'not a header\n', warning: /00000001\.jsonl is damaged \(line 1/ },
    };
    for (const [name, d] of Object.entries(damage)) {
      it(name, async () => {
        const ws = makeWorkspace(AGENTS);
        llm.setDefault({ kind: 'reply', text: 'ok' });
        assert.equal((await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() })).code, 0);
        const file = path.join(testStoreOf(ws), 'state', d.file);
        fs.writeFileSync(file, d.content(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''));
        for (const args of [['--status', '--json'], ['--runs', '--json'], ['--agent', 'a', '--prompt', 'again', '--json']]) {
          const r = await runBuiltCli(args, { cwd: ws, env: env() });
          assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
          r.json();
          assert.doesNotMatch(r.stderr, STACK);
          if (args[0] === '--status') {
            const lines = r.stderr.split('\n').filter((l) => d.warning.test(l));
            assert.equal(lines.length, 1, r.stderr);
            assert.ok(must(lines[0], 'lines[0]').includes(d.file.split('/').at(-1)!), 'the warning names the file');
          }
        }
      });
    }
  });

  describe('budgets when the cost ledger is damaged', () => {
    const costLine = (usd: number, runId?: string) => `${JSON.stringify({ at: Date.now(), ...(runId ? { runId } : {}), agent: 'a', provider: 'anthropic', model: 'claude-sonnet-4-5', usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheCreationTokens: 0 }, usd })}\n`;

    it('refuses to spend, with a message naming the line, when nothing accounts for the damaged line; spends again once it is repaired', async () => {
      const ws = makeWorkspace(`settings:\n  budget_usd: 5\n${AGENTS}`);
      const ledger = path.join(testStoreOf(ws), 'state', 'costs.jsonl');
      fs.mkdirSync(path.dirname(ledger), { recursive: true });
      fs.writeFileSync(ledger, `${costLine(1)}{"usd": 4.9, torn\n`);
      llm.setDefault({ kind: 'reply', text: 'ok' });
      const refused = await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() });
      assert.equal(refused.code, 1);
      assert.match(refused.stdout + refused.stderr, /cannot be checked, so nothing was sent: .*costs\.jsonl line 2 is damaged/);
      assert.equal(llm.requests.length, 0);
      fs.writeFileSync(ledger, costLine(1));
      const again = await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(llm.requests.length, 1);
    });

    it('rebuilds spending from the run logs when they account for the damaged line', async () => {
      const ws = makeWorkspace(`settings:\n  budget_usd: 5\n${AGENTS}`);
      llm.setDefault({ kind: 'reply', text: 'ok', usage: { input: 1000, output: 1000 } });
      assert.equal((await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() })).code, 0);
      const state = path.join(testStoreOf(ws), 'state');
      const spent = (JSON.parse(fs.readFileSync(path.join(state, 'costs.jsonl'), 'utf8')) as { usd: number }).usd;
      fs.rmSync(path.join(state, 'shared'), { recursive: true });
      fs.writeFileSync(path.join(state, 'costs.jsonl'), 'damaged\n');
      const r = await runBuiltCli(['--status', '--json'], { cwd: ws, env: env() });
      const budget = r.json<{ costs: { budget: { spent_usd: number; unknown?: string } } }>().costs.budget;
      assert.equal(budget.unknown, undefined);
      assert.ok(Math.abs(budget.spent_usd - spent) < 1e-9, `${budget.spent_usd} vs ${spent}`);
    });
  });

  describe('a full disk (a real tmpfs)', () => {
    let mnt: string;
    beforeEach(() => {
      mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-full-'));
      mount(['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mnt]);
    });
    afterEach(() => {
      execFileSync('umount', [mnt]);
      fs.rmSync(mnt, { recursive: true, force: true });
    });

    it('stops a new run with "could not record", exit 1, no stack trace and nothing sent; it runs once space is back', async () => {
      const ws = makeWorkspace(AGENTS);
      llm.setDefault({ kind: 'reply', text: 'ok' });
      const store = path.join(mnt, 'store');
      const filler = fill(mnt);
      const r = await runBuiltCli(['--store', store, '--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /could not record .* no space left on the device \(ENOSPC\)/);
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(llm.requests.length, 0);
      fs.rmSync(filler);
      const again = await runBuiltCli(['--store', store, '--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() });
      assert.equal(again.code, 0, again.stderr);
      assert.equal(llm.requests.length, 1);
    });

    it('the run-log writer: an append that does not fit rejects durable() with "could not record" naming the event, leaves no partial line, and stops the writer', async () => {
      const file = path.join(mnt, 'r.jsonl');
      const w = RunLogWriter.open(file, 'r-1');
      w.append('run_started', { run_id: 'r-1', agent: 'a', prompt: 'hi', config_hash: 'h' });
      await w.durable();
      const before = fs.readFileSync(file);
      const filler = fill(mnt);
      // Larger than a page, so it cannot fit in what the last page of the log has left.
      w.append('tool_call_completed', { call_id: 'c1', output: 'x'.repeat(64 * 1024) });
      await assert.rejects(w.durable(), (e: unknown) => isStoreWriteError(e) && e.code === 'ENOSPC' && /could not record the tool_call_completed event of run r-1/.test(e.message));
      assert.deepEqual(fs.readFileSync(file), before, 'no partial line left in the log');
      assert.throws(() => w.append('run_cancelled', { reason: 'x' }), (e: unknown) => isStoreWriteError(e), 'the writer stays stopped');
      await assert.rejects(w.close(), (e: unknown) => isStoreWriteError(e), 'closing reports it too');
      assert.equal(fs.existsSync(`${file}.lock`), false, 'the lock is released');
      fs.rmSync(filler);
      assert.deepEqual(replayRunLog(file).events.map((e) => e.type), ['run_started']);
    });

    it('a paused run approved on a full disk: nothing runs, exit 1; approved again once space is back, it runs exactly once', async () => {
      const ws = makeWorkspace(AGENTS);
      const store = path.join(mnt, 'store');
      llm.enqueue({ kind: 'reply', toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'echo ran >> marker.txt' } }] }, { kind: 'reply', text: 'done' });
      const paused = await runBuiltCli(['--store', store, '--agent', 'a', '--prompt', 'go', '--json'], { cwd: ws, env: env() });
      assert.equal(paused.code, 3, paused.stderr);
      const runId = paused.json<{ run_id: string }>().run_id;
      const filler = fill(mnt);
      const denied = await runBuiltCli(['--store', store, '--approve', runId, '--call', 'c1'], { cwd: ws, env: env() });
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /could not record .*ENOSPC/);
      assert.doesNotMatch(denied.stderr, STACK);
      assert.equal(fs.existsSync(path.join(ws, 'marker.txt')), false, 'the command did not run unrecorded');
      assert.equal(llm.requests.length, 1);
      fs.rmSync(filler);
      const approved = await runBuiltCli(['--store', store, '--approve', runId, '--call', 'c1', '--json'], { cwd: ws, env: env() });
      assert.equal(approved.code, 0, approved.stderr);
      assert.equal(fs.readFileSync(path.join(ws, 'marker.txt'), 'utf8'), 'ran\n');
    });
  });

  describe('a read-only store (a real read-only bind mount)', () => {
    let ro: string;
    let ws: string;
    beforeEach(async () => {
      ws = makeWorkspace(AGENTS);
      llm.setDefault({ kind: 'reply', text: 'ok' });
      assert.equal((await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() })).code, 0);
      llm.reset();
      ro = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-ro-'));
      mount(['--bind', testStoreOf(ws), ro]);
      mount(['-o', 'remount,bind,ro', ro]);
    });
    afterEach(() => {
      execFileSync('umount', [ro]);
      fs.rmSync(ro, { recursive: true, force: true });
    });

    it('--status and --runs still read it; a run stops with "could not record" (EROFS), exit 1, no stack trace, nothing sent', async () => {
      const status = await runBuiltCli(['--store', ro, '--status', '--json'], { cwd: ws, env: env() });
      assert.equal(status.code, 0, status.stderr);
      assert.equal(must(status.json<{ breakers: { providers: { calls: number }[] } }>().breakers.providers[0], 'the first provider breaker').calls, 1);
      assert.equal((await runBuiltCli(['--store', ro, '--runs'], { cwd: ws, env: env() })).code, 0);
      const r = await runBuiltCli(['--store', ro, '--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env() });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /could not record .*read-only file system \(EROFS\)/);
      assert.doesNotMatch(r.stderr, STACK);
      assert.equal(llm.requests.length, 0);
    });
  });
});
