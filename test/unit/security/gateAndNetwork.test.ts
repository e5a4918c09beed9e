import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as nodePath from 'node:path';
import { isInsideFolder, pathFormProblem } from '../../../src/core/sandbox/pathForms';
import { forbiddenAddressReason } from '../../../src/core/sandbox/httpPolicy';
import { buildChildEnv } from '../../../src/core/sandbox/childEnv';
import { makeHarness, type Harness } from '../tools/harness';

describe('security: ignore file, protected paths, secrets, trust', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
    h.file('.breakwaterignore', 'private/\n*.secret\n');
    h.file('private/plan.txt', 'HIDDEN-PLAN\n');
    h.file('keys.secret', 'HIDDEN-KEY\n');
    h.file('public.txt', 'visible\n');
  });
  afterEach(() => h.cleanup());

  it('an ignored file cannot be read', async () => {
    const { prepared, outcome } = await h.run('read', { path: 'private/plan.txt' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block');
    assert.doesNotMatch(JSON.stringify(outcome), /HIDDEN/);
  });

  it('an ignored file cannot be reached through a link', async () => {
    fs.symlinkSync('private/plan.txt', path.join(h.root, 'alias.txt'));
    const { prepared } = await h.run('read', { path: 'alias.txt' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block');
  });

  it('an ignored file cannot be written', async () => {
    const { prepared, outcome } = await h.run('write', { path: 'private/new.txt', content: 'x' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block');
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'private/new.txt')), false);
  });

  it('list_dir does not show ignored entries', async () => {
    const { outcome } = await h.run('list_dir', { path: '.', recursive: true, include_hidden: true }, { by: 'policy' });
    const out = outcome.status === 'ok' ? outcome.output : '';
    assert.match(out, /public\.txt/);
    assert.doesNotMatch(out, /private|keys\.secret/);
  });

  it('glob does not return ignored paths', async () => {
    const { outcome } = await h.run('glob', { pattern: '**/*' }, { by: 'policy' });
    const out = outcome.status === 'ok' ? outcome.output : '';
    assert.match(out, /public\.txt/);
    assert.doesNotMatch(out, /private|keys\.secret/);
  });

  it('glob from a subfolder base_dir still hides ignored files', async () => {
    const { prepared } = await h.run('glob', { pattern: '*', base_dir: 'private' }, { by: 'policy' });
    assert.equal(prepared.decision.kind, 'block');
  });

  it('grep does not return matches in ignored files', async () => {
    const { outcome } = await h.run('grep', { pattern: 'HIDDEN|visible', path: '.', recursive: true }, { by: 'policy' });
    const out = outcome.status === 'ok' ? outcome.output : '';
    assert.match(out, /public\.txt:1:visible/);
    assert.doesNotMatch(out, /HIDDEN/);
  });

  it('grep aimed directly at an ignored file is refused', async () => {
    const { prepared, outcome } = await h.run('grep', { pattern: 'HIDDEN', path: 'keys.secret' }, { by: 'user' });
    assert.equal(prepared.decision.kind, 'block');
    assert.doesNotMatch(JSON.stringify(outcome), /HIDDEN-KEY/);
  });

  for (const target of ['.git/config', '.vscode/settings.json', '.breakwater/agents.yaml', '.breakwaterignore', 'sub/.GIT/hooks/pre-commit']) {
    it(`a write to the protected path ${target} needs approval every time`, async () => {
      const prepared = await h.prepare('write', { path: target, content: 'x' });
      assert.equal(prepared.decision.kind, 'ask_every_time');
      const outcome = await h.engine.execute(prepared, { by: 'yes_flag' }, new AbortController().signal);
      assert.equal(outcome.status, 'blocked');
      const p = path.join(h.root, target);
      assert.equal(fs.existsSync(p) && fs.readFileSync(p, 'utf8') === 'x', false);
    });
  }

  for (const name of ['.env', '.env.local', 'server.pem', 'tls.key', 'id_rsa', 'id_rsa.pub']) {
    it(`reading the secret ${name} needs approval every time`, async () => {
      h.file(name, 'SECRET-VALUE');
      const prepared = await h.prepare('read', { path: name });
      assert.equal(prepared.decision.kind, 'ask_every_time');
      const outcome = await h.engine.execute(prepared, { by: 'yes_flag' }, new AbortController().signal);
      assert.equal(outcome.status, 'blocked');
      assert.doesNotMatch(JSON.stringify(outcome), /SECRET-VALUE/);
    });
  }

  it('a grant cannot cover an ask-every-time call', async () => {
    const prepared = await h.prepare('write', { path: '.git/config', content: 'x' });
    h.engine.grant('write:.git/config');
    const outcome = await h.engine.execute(prepared, { by: 'grant', grantKey: 'write:.git/config' }, new AbortController().signal);
    assert.equal(outcome.status, 'blocked');
  });

  it('a forged grant key does not authorize an ask', async () => {
    const prepared = await h.prepare('bash', { command: 'touch marker' });
    const outcome = await h.engine.execute(prepared, { by: 'grant', grantKey: 'bash:touch marker' }, new AbortController().signal);
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'marker')), false);
  });

  it('a tool the agent was not given is blocked', async () => {
    const { prepared, outcome } = await h.run('bash', { command: 'touch marker' }, { by: 'user' }, h.scope(['read']));
    assert.equal(prepared.decision.kind, 'block');
    assert.equal(outcome.status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'marker')), false);
  });

  it('Restricted Mode: an untrusted workspace refuses bash and says why', async () => {
    const u = makeHarness({ trusted: false });
    try {
      const { prepared, outcome } = await u.run('bash', { command: 'touch marker' });
      assert.equal(prepared.decision.kind, 'block');
      assert.match(prepared.decision.reason, /Restricted Mode.*Trust the workspace/);
      assert.equal(outcome.status, 'blocked');
      assert.equal(fs.existsSync(path.join(u.root, 'marker')), false);
      u.file('r.txt', 'readable');
      assert.equal((await u.run('read', { path: 'r.txt' }, { by: 'policy' })).outcome.status, 'ok');
    } finally {
      u.cleanup();
    }
  });

  it('Restricted Mode: write is refused', async () => {
    const u = makeHarness({ trusted: false });
    try {
      const { outcome } = await u.run('write', { path: 'x.txt', content: 'x' });
      assert.equal(outcome.status, 'blocked');
      assert.equal(fs.existsSync(path.join(u.root, 'x.txt')), false);
    } finally {
      u.cleanup();
    }
  });
});

describe('security: Windows path forms (pure, path.win32)', () => {
  const w = nodePath.win32;
  const cases: ReadonlyArray<readonly [string, RegExp]> = [
    ['\\\\?\\C:\\Windows\\system.ini', /device and long-path/],
    ['\\\\.\\PhysicalDrive0', /device and long-path/],
    ['\\\\server\\share\\file.txt', /UNC/],
    ['//server/share/file.txt', /UNC/],
    ['C:foo.txt', /drive-relative/],
    ['file.txt:hidden', /alternate data streams/],
    ['src\\notes.txt::$DATA', /alternate data streams/],
    ['logs\\NUL.txt', /Windows device name/],
    ['CON', /Windows device name/],
  ];
  for (const [input, reason] of cases) {
    it(`refuses ${JSON.stringify(input)}`, () => assert.match(pathFormProblem(input, w) ?? '', reason));
  }
  it('accepts an ordinary drive path', () => assert.equal(pathFormProblem('C:\\work\\app\\src\\a.ts', w), undefined));
  it('compares folders case-insensitively and by whole segment', () => {
    assert.equal(isInsideFolder('C:\\w\\app', 'c:\\W\\APP\\x.txt', w), true);
    assert.equal(isInsideFolder('C:\\w\\app', 'C:\\w\\app-evil\\x.txt', w), false);
    assert.equal(isInsideFolder('C:\\w\\app', 'D:\\w\\app\\x.txt', w), false);
  });
  it('on POSIX a colon is an ordinary character', () => assert.equal(pathFormProblem('a:b.txt', nodePath.posix), undefined));
});

describe('security: http_request', () => {
  let h: Harness;
  let server: http.Server;
  let base: string;
  let hits: string[];
  beforeEach(async () => {
    h = makeHarness();
    hits = [];
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/to-metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      } else if (req.url === '/to-file') {
        res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      } else if (req.url === '/to-self') {
        res.writeHead(302, { location: '/ok' }).end();
      } else {
        res.writeHead(200, { 'content-type': 'text/plain' }).end(`hello ${req.headers.authorization ?? 'no-auth'}`);
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    h.cleanup();
  });

  it('file:// is refused without any request', async () => {
    const { prepared, outcome } = await h.run('http_request', { url: 'file:///etc/passwd' });
    assert.equal(prepared.decision.kind, 'block');
    assert.doesNotMatch(JSON.stringify(outcome), /root:/);
  });

  it('ftp: and data: are refused', async () => {
    assert.equal((await h.prepare('http_request', { url: 'ftp://example.com/x' })).decision.kind, 'block');
    assert.equal((await h.prepare('http_request', { url: 'data:text/plain,hi' })).decision.kind, 'block');
  });

  for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/', 'http://100.100.100.200/', 'http://[fd00:ec2::254]/', 'http://metadata.google.internal/', 'http://[::ffff:169.254.169.254]/']) {
    it(`the metadata / link-local address ${url} is blocked`, async () => {
      const { prepared, outcome } = await h.run('http_request', { url });
      assert.equal(prepared.decision.kind, 'block');
      assert.equal(outcome.status, 'blocked');
    });
  }

  it('a local dev server is allowed to ask and is reached after approval, without our keys', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-should-not-leak';
    try {
      const { prepared, outcome } = await h.run('http_request', { url: `${base}/ok` });
      assert.equal(prepared.decision.kind, 'ask');
      assert.match(prepared.approval?.fields.find((f) => f.label === 'Host')?.value ?? '', /\(127\.0\.0\.1\)$/);
      assert.equal(outcome.status === 'ok' ? outcome.output.split('\n\n')[1] : '', 'hello no-auth');
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
    }
  });

  it('without approval nothing is sent', async () => {
    const prepared = await h.prepare('http_request', { url: `${base}/ok` });
    assert.equal((await h.engine.execute(prepared, { by: 'policy' }, new AbortController().signal)).status, 'blocked');
    assert.deepEqual(hits, []);
  });

  it('a redirect to a metadata address is re-checked and refused', async () => {
    const { outcome } = await h.run('http_request', { url: `${base}/to-metadata` });
    assert.equal(outcome.status, 'blocked');
    assert.match(outcome.status === 'blocked' ? outcome.error : '', /Redirect to .*169\.254\.169\.254.*metadata/);
  });

  it('a redirect to file:// is refused', async () => {
    const { outcome } = await h.run('http_request', { url: `${base}/to-file` });
    assert.equal(outcome.status, 'blocked');
  });

  it('a same-host redirect is followed', async () => {
    const { outcome } = await h.run('http_request', { url: `${base}/to-self` });
    assert.equal(outcome.status, 'ok');
    assert.deepEqual(hits, ['/to-self', '/ok']);
  });

  it('http_allowed_domains blocks other domains', async () => {
    const scope = h.scope(undefined, { settings: { http_allowed_domains: ['example.com'] } });
    const prepared = await h.prepare('http_request', { url: `${base}/ok` }, scope);
    assert.equal(prepared.decision.kind, 'block');
    await h.engine.execute(prepared, { by: 'user' }, new AbortController().signal);
    assert.deepEqual(hits, []);
  });

  it('the host-level auto-approve list allows without asking', async () => {
    const a = makeHarness({ autoApproveDomains: ['127.0.0.1'] });
    try {
      const { prepared, outcome } = await a.run('http_request', { url: `${base}/ok` }, { by: 'policy' });
      assert.equal(prepared.decision.kind, 'allow');
      assert.equal(outcome.status, 'ok');
    } finally {
      a.cleanup();
    }
  });

  it('the address classifier knows IPv4-mapped link-local', () => {
    assert.match(forbiddenAddressReason('::ffff:169.254.1.1') ?? '', /link-local/);
    assert.equal(forbiddenAddressReason('127.0.0.1'), undefined);
  });
});

describe('security: ssh and the child environment', () => {
  let h: Harness;
  beforeEach(() => (h = makeHarness()));
  afterEach(() => h.cleanup());

  it('ssh to a host not in servers is blocked and nothing is spawned', async () => {
    const { prepared, outcome } = await h.run('ssh', { host: 'evil.example.com', command: 'id' });
    assert.equal(prepared.decision.kind, 'block');
    assert.match(prepared.decision.reason, /not a server this agent may reach/);
    assert.equal(outcome.status, 'blocked');
  });

  it('ssh to a configured server the agent does not list is blocked', async () => {
    const scope = h.scope(undefined, { servers: { prod: { host: 'prod.example.com' } } });
    const prepared = await h.prepare('ssh', { host: 'prod', command: 'uptime' }, scope);
    assert.equal(prepared.decision.kind, 'block');
  });

  it('the remote command passes the same shell policy', async () => {
    const scope = h.scope(undefined, { servers: { prod: { host: 'prod.example.com' } } }, { servers: ['prod'] });
    assert.equal((await h.prepare('ssh', { host: 'prod', command: 'uptime' }, scope)).decision.kind, 'ask');
    assert.equal((await h.prepare('ssh', { host: 'prod', command: 'rm -rf /' }, scope)).decision.kind, 'block');
    assert.equal((await h.prepare('ssh', { host: 'prod', command: 'echo $(id)' }, scope)).decision.kind, 'ask_every_time');
  });

  it('the child environment drops keys, tokens and provider variables', () => {
    const env = buildChildEnv({ PATH: '/bin', HOME: '/h', LC_ALL: 'C', OPENAI_API_KEY: 'k', GITHUB_TOKEN: 't', DB_PASSWORD: 'p', AWS_SECRET_ACCESS_KEY: 's', MY_AUTH: 'a', ANTHROPIC_BASE_URL: 'u' });
    assert.deepEqual(Object.keys(env).sort(), ['HOME', 'LC_ALL', 'PATH']);
  });
});
