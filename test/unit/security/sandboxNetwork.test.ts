import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { CommandSandbox } from '../../../src/core/sandbox/commandSandbox';
import { networkAllows } from '../../../src/core/sandbox/networkGate';
import { DEFAULT_OUTPUT_CAP } from '../../../src/core/sandbox/outputCap';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { makeHarness } from '../tools/harness';
import { attempt, escapeWorld, type EscapeWorld } from './sandboxHarness';

/** A loopback HTTP server on the host that counts what reaches it. */
async function loopbackServer(): Promise<{ port: number; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.end('HOST-SERVER-BODY-e5');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, hits, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * Network is off in the sandbox: a command reaches nothing, not even a server on the host's loopback,
 * unless `settings.sandbox.network_allow` lists the host, and then only through the filtering proxy.
 */
describe('security: sandbox network (real bubblewrap, loopback server on the host)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  let server: Awaited<ReturnType<typeof loopbackServer>>;
  beforeEach(async () => (server = await loopbackServer()));
  afterEach(async () => {
    world?.cleanup();
    await server.close();
  });

  const allowYaml = (hosts: string[]) => `  sandbox:\n    mode: auto\n    network_allow: [${hosts.map((h) => JSON.stringify(h)).join(', ')}]\n`;
  const CASES: readonly (readonly [string, string[], (port: number) => string, (a: { modelSaw: string; status: string }, hits: string[]) => void])[] = [
    ['curl to a loopback server on the host fails', [], (p) => `curl -sS -m 3 http://127.0.0.1:${p}/`, (a, hits) => (assert.deepEqual(hits, []), assert.doesNotMatch(a.modelSaw, /HOST-SERVER-BODY/))],
    ['bash /dev/tcp to the host fails', [], (p) => `printf 'exec 3<>/dev/tcp/127.0.0.1/${p} && printf "GET /tcp HTTP/1.0\\\\r\\\\n\\\\r\\\\n" >&3 && cat <&3\\n' > t.sh; bash t.sh`, (a, hits) => (assert.deepEqual(hits, []), assert.doesNotMatch(a.modelSaw, /HOST-SERVER-BODY/))],
    ['a raw socket from node fails', [], (p) => `node -e "require('net').connect(${p},'127.0.0.1').on('connect',()=>console.log('CONN'+'ECTED')).on('error',e=>console.log('ERR',e.code))"`, (a, hits) => (assert.deepEqual(hits, []), assert.doesNotMatch(a.modelSaw, /CONNECTED/), assert.match(a.modelSaw, /ERR E/))],
    ['DNS resolves nothing', [], () => 'getent hosts example.com || echo NO-DNS', (a) => assert.match(a.modelSaw, /NO-DNS/)],
    ['network_allow lets a listed host through the proxy', ['127.0.0.1:PORT'], (p) => `curl -sS -m 5 http://127.0.0.1:${p}/allowed`, (a, hits) => (assert.deepEqual(hits, ['GET /allowed']), assert.match(a.modelSaw, /HOST-SERVER-BODY/))],
    ['network_allow refuses an unlisted host (403 from the proxy)', ['example.com'], (p) => `curl -sS -m 5 http://127.0.0.1:${p}/refused; echo " rc=$?"`, (a, hits) => (assert.deepEqual(hits, []), assert.match(a.modelSaw, /refused 127\.0\.0\.1/))],
    ['network_allow with the wrong port refuses', ['127.0.0.1:1'], (p) => `curl -sS -m 5 http://127.0.0.1:${p}/port`, (_a, hits) => assert.deepEqual(hits, [])],
    ['network_allow does not open raw sockets (only the proxy)', ['127.0.0.1:PORT'], (p) => `node -e "require('net').connect(${p},'127.0.0.1').on('connect',()=>console.log('CONN'+'ECTED')).on('error',e=>console.log('ERR',e.code))"`, (a, hits) => (assert.deepEqual(hits, []), assert.doesNotMatch(a.modelSaw, /CONNECTED/))],
    ['network_allow never reaches cloud metadata addresses', ['169.254.169.254'], () => 'curl -sS -m 5 http://169.254.169.254/latest/meta-data/; echo " rc=$?"', (a) => assert.match(a.modelSaw, /metadata/)],
  ];
  for (const [name, allow, command, check] of CASES) {
    it(name, async () => {
      world = escapeWorld(allow.length > 0 ? allowYaml(allow.map((h) => h.replace('PORT', String(server.port)))) : '');
      const a = await attempt(llm, world, command(server.port));
      assert.ok(a.decision === 'ask' || a.decision === 'ask_every_time', a.decision);
      assert.ok(a.status === 'ok' || a.status === 'error', `the command ran: ${a.status}`);
      check(a, server.hits);
    });
  }

  it("ssh's local side reaches its own server through the gate, and nothing else", async () => {
    world = escapeWorld();
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const port = (echo.address() as AddressInfo).port;
    try {
      const sandbox = new CommandSandbox({ stateDir: world.base });
      const outcome = await sandbox.run({
        argv: ({ gateSocket }) => ['/bin/bash', '-c', `echo GATE-OK | socat -t 2 - UNIX-CONNECT:${gateSocket}; curl -sS -m 2 http://127.0.0.1:${server.port}/ || echo NO-DIRECT`],
        cwd: world.ws,
        settings: { mode: 'auto', networkAllow: [] },
        workspaceFolders: [world.ws],
        forward: { host: '127.0.0.1', port },
        timeoutMs: 20_000,
        cap: DEFAULT_OUTPUT_CAP,
        signal: new AbortController().signal,
      });
      const out = outcome.status === 'ok' ? outcome.output : JSON.stringify(outcome);
      assert.match(out, /GATE-OK/, `the echo server answered through the gate: ${out}`);
      assert.match(out, /NO-DIRECT/);
      assert.deepEqual(server.hits, []);
    } finally {
      await new Promise((r) => echo.close(r));
    }
  });
});

describe("security: ssh's local side in the sandbox (real ssh client, real bubblewrap)", function () {
  this.timeout(60_000);

  it('connects through the gate to its own server (the client banner arrives), sandboxed and asking like any ssh call', async () => {
    const h = makeHarness();
    // A server that records what the ssh client sends first (its version banner), then hangs up.
    const banners: string[] = [];
    const server = net.createServer((s) => s.once('data', (d) => (banners.push(d.toString()), s.end())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const key = h.file('deploy_key', 'not really a key\n');
    fs.chmodSync(key, 0o600);
    try {
      const scope = h.scope(undefined, { servers: { box: { host: '127.0.0.1', port, user: 'deploy', key } } }, { servers: ['box'] });
      const { prepared, outcome } = await h.run('ssh', { host: 'box', command: 'uptime' }, { by: 'user' }, scope);
      assert.equal(prepared.decision.kind, 'ask');
      assert.ok(prepared.approval !== undefined && prepared.approval.unsandboxed === undefined, 'sandboxed');
      assert.equal(outcome.status, 'error', 'no real sshd answered');
      assert.match(banners.join(''), /^SSH-2\.0-/, 'the ssh client reached its server through the gate');
    } finally {
      server.close();
      h.cleanup();
    }
  });
});

describe('sandbox network_allow patterns', () => {
  const CASES: readonly (readonly [string[], string, number, boolean])[] = [
    [['example.com'], 'example.com', 443, true],
    [['example.com'], 'EXAMPLE.com.', 80, true],
    [['example.com'], 'api.example.com', 443, false],
    [['*.example.com'], 'api.example.com', 443, true],
    [['*.example.com'], 'example.com', 443, false],
    [['*.example.com'], 'evil-example.com', 443, false],
    [['example.com:8443'], 'example.com', 8443, true],
    [['example.com:8443'], 'example.com', 443, false],
    [['127.0.0.1:8080'], '127.0.0.1', 8080, true],
    [['[::1]:8080'], '::1', 8080, true],
    [['::1'], '[::1]', 9, true],
    [['example.com:notaport'], 'example.com', 443, false],
    [[], 'example.com', 443, false],
  ];
  for (const [patterns, host, port, expected] of CASES) {
    it(`${JSON.stringify(patterns)} ${expected ? 'admits' : 'refuses'} ${host}:${port}`, () => assert.equal(networkAllows(patterns, host, port), expected));
  }
});
