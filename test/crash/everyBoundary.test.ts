import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { eventsOf, makeWorkspace, onlyRunId, runBuiltCli, startBuiltCli } from './cliProcess';
import { must } from '../fixtures/must';

/**
 * A real CLI process is SIGKILLed right after EACH event of a run that calls `bash` once (including
 * right after `run_started`); every time, `--runs` lists the run as interrupted (crashed) and
 * `--resume` finishes it, with the command run exactly once. And Ctrl-C: exit 130, the run
 * interrupted (cancelled), `--resume` finishes it.
 */
const AGENTS = `
agents:
  dev:
    role: You run commands.
    provider: anthropic
    model: sonnet
    tools: [bash]
`;

const BOUNDARIES = [
  'run_started',
  'llm_call_started',
  'llm_call_completed',
  'assistant_message',
  'tool_call_requested',
  'tool_call_decided',
  'approval_requested',
  'approval_granted',
  'tool_call_started',
  'tool_call_completed',
  'llm_call_started#2',
  'llm_call_completed#2',
  'assistant_message#2',
] as const;

interface RunsJson {
  runs: { run_id: string; status: string; interruption?: string; resumable: boolean }[];
}

describe('crash tests: killed at every event boundary, listed and resumed', function () {
  this.timeout(180_000);
  const llm = useFakeLlm();
  const env = (extra: Record<string, string> = {}) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, ...extra });
  const lines = (ws: string) => (fs.existsSync(path.join(ws, 'lines.txt')) ? fs.readFileSync(path.join(ws, 'lines.txt'), 'utf8').split('\n').filter(Boolean) : []);

  for (const at of BOUNDARIES) {
    it(`killed right after ${at}`, async () => {
      const ws = makeWorkspace(AGENTS);
      const answers = [{ kind: 'reply' as const, toolCalls: [{ id: 'c1', name: 'bash', args: { command: 'echo one >> lines.txt' } }] }, { kind: 'reply' as const, text: 'appended' }];
      llm.enqueue(...answers);
      const first = await runBuiltCli(['--agent', 'dev', '--prompt', 'append a line', '--yes'], { cwd: ws, env: env({ BREAKWATER_TEST_CRASH_AT: at }) });
      assert.equal(first.signal, 'SIGKILL', first.stderr);
      const runId = onlyRunId(ws);
      // A turn whose answer was not recorded is asked again: the model answers it again, as a real one would.
      llm.reset();
      llm.enqueue(...answers.slice(eventsOf(ws, runId).filter((e) => e.type === 'assistant_message').length));

      const listed = await runBuiltCli(['--runs', '--json'], { cwd: ws, env: env() });
      assert.equal(listed.code, 0, listed.stderr);
      const row = listed.json<RunsJson>().runs.find((r) => r.run_id === runId);
      assert.deepEqual([row?.status, row?.interruption, row?.resumable], ['interrupted', 'crashed', true], JSON.stringify(row));

      let resumed = await runBuiltCli(['--resume', runId, '--json', '--yes'], { cwd: ws, env: env() });
      if (at === 'tool_call_started') {
        // It may have run: --yes never covers that; the user is asked, and approving runs it once.
        assert.equal(resumed.code, 3, resumed.stderr);
        assert.match(resumed.stderr, /may already have run/);
        assert.deepEqual(lines(ws), []);
        resumed = await runBuiltCli(['--approve', runId, '--call', 'c1', '--json'], { cwd: ws, env: env() });
      }
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal(resumed.json<{ status: string }>().status, 'completed');
      assert.deepEqual(lines(ws), ['one'], 'the command ran exactly once');
      const events = eventsOf(ws, runId);
      assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i));
      assert.equal(events.filter((e) => e.type === 'run_started').length, 1);
    });
  }

  it('Ctrl-C: exit 130, the run interrupted (cancelled) and listed; --resume finishes it', async () => {
    const ws = makeWorkspace(AGENTS);
    // A slow answer, so the signal arrives mid-stream.
    llm.enqueue({ kind: 'reply', text: 'x'.repeat(400), tokenDelayMs: 50, chunkSize: 1 }, { kind: 'reply', text: 'finished' });
    const { child, done } = startBuiltCli(['--agent', 'dev', '--prompt', 'take your time', '--json'], { cwd: ws, env: env() });
    for (let i = 0; i < 200 && llm.requests.length === 0; i++) await sleep(25);
    assert.equal(llm.requests.length, 1, 'the model call started');
    child.kill('SIGINT');
    const stopped = await done;
    assert.equal(stopped.code, 130, stopped.stderr);
    const json = stopped.json<{ status: string; resumable?: boolean; interruption?: string }>();
    assert.deepEqual([json.status, json.resumable, json.interruption], ['failed', true, 'cancelled']);
    const runId = onlyRunId(ws);
    const row = must((await runBuiltCli(['--runs', '--json'], { cwd: ws, env: env() })).json<RunsJson>().runs[0], 'row');
    assert.deepEqual([row.run_id, row.status, row.interruption], [runId, 'interrupted', 'cancelled']);
    const resumed = await runBuiltCli(['--resume', runId, '--json'], { cwd: ws, env: env() });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(resumed.json<{ output: string }>().output, 'finished');
  });
});
