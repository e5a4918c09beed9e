import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { useFakeLlm } from '../fixtures/fake-llm/useFakeLlm';
import { useRedis } from '../fixtures/redis/redisServer';
import { runBuiltCli, startBuiltCli, until, makeWorkspace } from './cliProcess';

/**
 * Redis unreachable — at start, or killed while a call is in flight — with real CLI processes and a real
 * `redis-server`: `state.on_unavailable: fail` (the default) stops with a clear message and sends nothing
 * unaccounted; `local` goes on with this machine's store and says so.
 */
const STACK = /\n\s+at .+:\d+:\d+/;
const agents = () => `agents:\n  a:\n    role: You answer.\n    provider: anthropic\n    model: sonnet\n    tools: []\n`;

/**
 * A workspace whose user (a file of its own, `BREAKWATER_USER_CONFIG`) shares state through Redis: `state` is
 * sensitive, so it belongs in the user's own file. Returns the workspace and the environment of its CLI runs.
 */
function workspaceSharingThrough(stateYaml: string, env: Record<string, string>): { ws: string; env: Record<string, string> } {
  const ws = makeWorkspace(agents());
  const userFile = path.join(path.dirname(ws), `${path.basename(ws)}.user.yaml`);
  fs.writeFileSync(userFile, stateYaml);
  return { ws, env: { ...env, BREAKWATER_USER_CONFIG: userFile } };
}

function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('Redis unreachable (real redis-server, real CLI processes)', function () {
  this.timeout(120_000);
  const llm = useFakeLlm();
  const redis = useRedis();
  const env = (url: string) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url, BREAKWATER_STATE_URL: url });

  it('on_unavailable: fail (default) — a run stops with a clear message, exit 1, no stack trace, nothing sent', async () => {
    const url = `redis://:s3cret@127.0.0.1:${await deadPort()}/0`;
    const ws = makeWorkspace(agents());
    llm.setDefault({ kind: 'reply', text: 'ok' });
    const r = await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: env(url) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /shared state at redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0 is unreachable .*nothing was sent.*on_unavailable: local/);
    assert.doesNotMatch(r.stderr, /s3cret/, 'the password is never printed');
    assert.doesNotMatch(r.stderr, STACK);
    assert.equal(llm.requests.length, 0);
  });

  it('on_unavailable: local — the run goes on with this machine\'s store, with a warning', async () => {
    const url = `redis://127.0.0.1:${await deadPort()}/0`;
    const { ws, env: userEnv } = workspaceSharingThrough(`state:\n  backend: redis\n  url: ${url}\n  on_unavailable: local\n`, { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url });
    llm.setDefault({ kind: 'reply', text: 'ok' });
    const r = await runBuiltCli(['--agent', 'a', '--prompt', 'hi'], { cwd: ws, env: userEnv });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /unreachable.*using this machine's store instead \(state\.on_unavailable: local\)/);
    assert.equal(llm.requests.length, 1);
    const s = (await runBuiltCli(['--status', '--json'], { cwd: ws, env: { ...userEnv, ANTHROPIC_API_KEY: 'k' } })).json<{ state: { backend: string } }>();
    assert.equal(s.state.backend, 'file');
  });

  for (const mode of ['fail', 'local'] as const) {
    it(`killed while a call is in flight (on_unavailable: ${mode})`, async () => {
      const { ws, env: userEnv } = workspaceSharingThrough(`state:\n  backend: redis\n  url: ${redis().url}\n  on_unavailable: ${mode}\n`, { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: llm.url });
      llm.enqueue({ kind: 'reply', text: 'a slow answer', chunkSize: 1, tokenDelayMs: 150 });
      llm.setDefault({ kind: 'reply', text: 'ok' });
      const run = startBuiltCli(['--agent', 'a', '--prompt', 'hi', '--json'], { cwd: ws, env: userEnv });
      await until('the request at the server', () => llm.requests.length === 1);
      await redis().kill();
      try {
        const r = await run.done;
        assert.doesNotMatch(r.stderr, STACK);
        if (mode === 'fail') {
          assert.equal(r.code, 1);
          assert.match(r.stderr + r.stdout, /unreachable/);
        } else {
          assert.equal(r.code, 0, r.stderr);
          assert.match(r.stderr, /stopped answering.*using this machine's store from now on/);
        }
        const next = await runBuiltCli(['--agent', 'a', '--prompt', 'again'], { cwd: ws, env: userEnv });
        assert.equal(next.code, mode === 'fail' ? 1 : 0, next.stderr);
        assert.equal(llm.requests.length, mode === 'fail' ? 1 : 2, 'with fail, nothing more is sent while Redis is away');
      } finally {
        await redis().restart();
      }
    });
  }
});
