import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { createToolEngine } from '../../../src/core/tools/toolEngine';
import type { Authorization, ToolOutcome } from '../../../src/core/tools/types';
import { makeHarness, type Harness } from '../tools/harness';

const SECRET = 'SECRET-VALUE-7f3a';
const never = () => new AbortController().signal;
const text = (o: ToolOutcome) => (o.status === 'ok' ? o.output : o.error);

/**
 * The secret-file rule (ask every time) in every tool that returns content, however the file is
 * reached; and the run store, which no tool may ever touch. Each case asserts the decision, runs
 * the call with the strongest authorization the decision must refuse (or the user's, where it may
 * run) and checks what the model would be sent.
 */
describe('security: secrets in every tool that returns content', () => {
  let h: Harness;
  beforeEach(() => {
    h = makeHarness();
    h.file('public.txt', 'needle public\n');
    h.file('.env', `needle ${SECRET}\n`);
    h.file('keys/server.pem', `needle ${SECRET}\n`);
    h.file('keys/tls.key', `needle ${SECRET}\n`);
    h.file('home/id_rsa', `needle ${SECRET}\n`);
  });
  afterEach(() => h.cleanup());

  /** Every way a secret file can be asked for by read or grep: [name, setup, tool, args]. */
  const aliases: ReadonlyArray<readonly [string, (h: Harness) => void, 'read' | 'grep', Record<string, unknown>]> = [
    ['read of .env by name', () => {}, 'read', { path: '.env' }],
    ['read through a symlink alias notes.txt -> .env', (h) => fs.symlinkSync('.env', path.join(h.root, 'notes.txt')), 'read', { path: 'notes.txt' }],
    ['read through a chain of symlinks a -> b -> keys/server.pem', (h) => (fs.symlinkSync('keys/server.pem', path.join(h.root, 'b')), fs.symlinkSync('b', path.join(h.root, 'a'))), 'read', { path: 'a' }],
    ['read inside a symlinked folder cfg -> keys', (h) => fs.symlinkSync('keys', path.join(h.root, 'cfg')), 'read', { path: 'cfg/tls.key' }],
    ['read of a hard link copy.txt to .env', (h) => fs.linkSync(path.join(h.root, '.env'), path.join(h.root, 'copy.txt')), 'read', { path: 'copy.txt' }],
    ['read of a hard link in another folder to id_rsa', (h) => (fs.mkdirSync(path.join(h.root, 'docs')), fs.linkSync(path.join(h.root, 'home/id_rsa'), path.join(h.root, 'docs/readme.md'))), 'read', { path: 'docs/readme.md' }],
    ['read of a symlink named .env.local that points to a secret', (h) => fs.symlinkSync('keys/server.pem', path.join(h.root, '.env.local')), 'read', { path: '.env.local' }],
    ['read by an absolute path', () => {}, 'read', { path: '__ROOT__/keys/server.pem' }],
    ['read by a path with ./ and ..', () => {}, 'read', { path: './keys/../keys/tls.key' }],
    ['grep aimed at .env', () => {}, 'grep', { pattern: 'needle', path: '.env' }],
    ['grep aimed at server.pem', () => {}, 'grep', { pattern: 'needle', path: 'keys/server.pem' }],
    ['grep aimed at a symlink alias of id_rsa', (h) => fs.symlinkSync('home/id_rsa', path.join(h.root, 'alias.txt')), 'grep', { pattern: 'needle', path: 'alias.txt' }],
    ['grep aimed at a hard link of tls.key', (h) => fs.linkSync(path.join(h.root, 'keys/tls.key'), path.join(h.root, 'plain.txt')), 'grep', { pattern: 'needle', path: 'plain.txt' }],
  ];
  for (const [name, setup, tool, rawArgs] of aliases) {
    it(`ask every time: ${name}; --yes cannot read it, the user can`, async () => {
      setup(h);
      const args = JSON.parse(JSON.stringify(rawArgs).replace('__ROOT__', h.root)) as Record<string, unknown>;
      const prepared = await h.prepare(tool, args);
      assert.equal(prepared.decision.kind, 'ask_every_time', JSON.stringify(prepared.decision));
      assert.match(prepared.decision.reason, /secret/);
      const refused = await h.engine.execute(prepared, { by: 'yes_flag' }, never());
      assert.equal(refused.status, 'blocked');
      assert.doesNotMatch(JSON.stringify(refused), new RegExp(SECRET));
      const approved = await h.engine.execute(prepared, { by: 'user' }, never());
      assert.match(text(approved), new RegExp(SECRET), 'approved by the user, the very call runs');
    });
  }

  it('a file with a hard link to a file that is no secret is read without asking (the rule can fail)', async () => {
    fs.linkSync(path.join(h.root, 'public.txt'), path.join(h.root, 'other.txt'));
    const { prepared, outcome } = await h.run('read', { path: 'other.txt' }, { by: 'policy' });
    assert.equal(prepared.decision.kind, 'allow');
    assert.match(text(outcome), /needle public/);
  });

  it('a folder grep leaves every secret file out and says which (hidden, in subfolders, hard-linked)', async () => {
    fs.linkSync(path.join(h.root, '.env'), path.join(h.root, 'linked.txt'));
    const { prepared, outcome } = await h.run('grep', { pattern: 'needle', path: '.', recursive: true }, { by: 'policy' });
    assert.equal(prepared.decision.kind, 'allow');
    const out = text(outcome);
    assert.match(out, /public\.txt:1:needle public/);
    assert.doesNotMatch(out, new RegExp(SECRET));
    assert.match(out, /not shown: .*keys\/server\.pem/);
    assert.match(out, /keys\/tls\.key/);
    assert.match(out, /home\/id_rsa/);
    assert.match(out, /linked\.txt/);
  });

  it('a folder grep does not follow a symlink alias of a secret', async () => {
    fs.symlinkSync('.env', path.join(h.root, 'notes.txt'));
    const { outcome } = await h.run('grep', { pattern: 'needle', path: '.', recursive: true }, { by: 'policy' });
    assert.doesNotMatch(text(outcome), new RegExp(SECRET));
  });

  it('a grep whose only matches are in secret files says so instead of returning them', async () => {
    const { outcome } = await h.run('grep', { pattern: SECRET, path: 'keys' }, { by: 'policy' });
    assert.match(text(outcome), /^No matches for .*\n\[matching lines of 2 secret file\(s\) are not shown/);
  });

  it('list_dir and glob may show the names of secret files (never their content)', async () => {
    const listed = await h.run('list_dir', { path: '.', recursive: true, include_hidden: true }, { by: 'policy' });
    assert.match(text(listed.outcome), /\.env/);
    const globbed = await h.run('glob', { pattern: '**/*.pem' }, { by: 'policy' });
    assert.match(text(globbed.outcome), /keys\/server\.pem/);
    assert.doesNotMatch(text(listed.outcome) + text(globbed.outcome), new RegExp(SECRET));
  });

  it('http_request cannot read a body from a file: "@.env" is sent as those five characters', async () => {
    let received = '';
    const server = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => (received += c.toString()));
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const { outcome } = await h.run('http_request', { url, method: 'POST', body: '@.env' }, { by: 'user' });
      assert.equal(outcome.status, 'ok');
      assert.equal(received, '@.env');
    } finally {
      server.close();
    }
  });
});

describe('security: tools can never read the run store', () => {
  let h: Harness;
  let store: string;
  let engine: ReturnType<typeof createToolEngine>;
  beforeEach(() => {
    h = makeHarness();
    // A store inside the workspace (`--store runs-store`): the hardest case, every tool can name it.
    store = path.join(h.root, 'runs-store');
    fs.mkdirSync(path.join(store, 'state'), { recursive: true });
    fs.writeFileSync(path.join(store, 'r-1.jsonl'), `{"output":"needle ${SECRET}"}\n`);
    h.file('public.txt', 'needle public\n');
    engine = createToolEngine({ host: { workspaceFolders: [h.root], trusted: true, ripgrepPath: 'rg', storeRoot: store }, commandTimeoutMs: 10_000 });
  });
  afterEach(() => h.cleanup());

  const run = async (tool: string, args: unknown, auth: Authorization = { by: 'user' }, scope = h.scope()) => {
    const prepared = await engine.prepare({ id: `s-${tool}`, name: tool, args }, scope);
    return { prepared, outcome: await engine.execute(prepared, auth, never()) };
  };

  const blocked: ReadonlyArray<readonly [string, string, (h: Harness) => Record<string, unknown>]> = [
    ['read of a run log', 'read', () => ({ path: 'runs-store/r-1.jsonl' })],
    ['read of a run log by absolute path', 'read', (h) => ({ path: path.join(h.root, 'runs-store/r-1.jsonl') })],
    ['read through a symlink into the store', 'read', (h) => (fs.symlinkSync('runs-store/r-1.jsonl', path.join(h.root, 'log.txt')), { path: 'log.txt' })],
    ['read through a symlinked folder onto the store', 'read', (h) => (fs.symlinkSync('runs-store', path.join(h.root, 'logs')), { path: 'logs/r-1.jsonl' })],
    ['write into the store', 'write', () => ({ path: 'runs-store/state/breakers.json', content: '{}' })],
    ['edit of a run log', 'edit', () => ({ path: 'runs-store/r-1.jsonl', old_string: 'needle', new_string: 'x' })],
    ['list_dir of the store', 'list_dir', () => ({ path: 'runs-store' })],
    ['glob from the store', 'glob', () => ({ pattern: '*', base_dir: 'runs-store' })],
    ['grep aimed at the store', 'grep', () => ({ pattern: 'needle', path: 'runs-store', recursive: true })],
    ['bash with working_dir in the store', 'bash', () => ({ command: 'ls', working_dir: 'runs-store' })],
    ['bash redirecting into the store', 'bash', () => ({ command: 'echo x > runs-store/r-1.jsonl' })],
    ['bash reading a run log through a redirect', 'bash', () => ({ command: 'cat < runs-store/r-1.jsonl' })],
    ['bash naming a run log as an argument', 'bash', () => ({ command: 'cat runs-store/r-1.jsonl' })],
    ['bash naming a run log by absolute path', 'bash', (h) => ({ command: `tail ${path.join(h.root, 'runs-store', 'r-1.jsonl')}` })],
  ];
  for (const [name, tool, args] of blocked) {
    it(`hard block: ${name}; not even the user can run it`, async () => {
      const before = fs.readFileSync(path.join(store, 'r-1.jsonl'), 'utf8');
      const { prepared, outcome } = await run(tool, args(h));
      assert.equal(prepared.decision.kind, 'block', JSON.stringify(prepared.decision));
      assert.match(prepared.decision.reason, /run store/);
      assert.equal(outcome.status, 'blocked');
      assert.doesNotMatch(JSON.stringify(outcome), new RegExp(SECRET));
      assert.equal(fs.readFileSync(path.join(store, 'r-1.jsonl'), 'utf8'), before);
      assert.equal(fs.existsSync(path.join(store, 'state', 'breakers.json')), false);
    });
  }

  it('listings and searches of the workspace leave the store out', async () => {
    const listed = await run('list_dir', { path: '.', recursive: true }, { by: 'policy' });
    const globbed = await run('glob', { pattern: '**/*' }, { by: 'policy' });
    const grepped = await run('grep', { pattern: 'needle', path: '.', recursive: true }, { by: 'policy' });
    assert.match(text(listed.outcome), /public\.txt/);
    assert.match(text(grepped.outcome), /public\.txt:1:needle public/);
    for (const o of [listed.outcome, globbed.outcome, grepped.outcome]) {
      assert.doesNotMatch(text(o), /runs-store|r-1\.jsonl/);
      assert.doesNotMatch(text(o), new RegExp(SECRET));
    }
  });

  it('the old in-workspace layout .breakwater/runs is refused even when the store is elsewhere', async () => {
    h.file('.breakwater/runs/r-0.jsonl', `needle ${SECRET}\n`);
    const { prepared, outcome } = await run('read', { path: '.breakwater/runs/r-0.jsonl' });
    assert.equal(prepared.decision.kind, 'block');
    assert.doesNotMatch(JSON.stringify(outcome), new RegExp(SECRET));
  });

  it('a store outside the workspace stays refused with sandbox_paths off', async () => {
    const outsideStore = path.join(h.outside, 'state-store');
    fs.mkdirSync(outsideStore);
    fs.writeFileSync(path.join(outsideStore, 'r-2.jsonl'), `needle ${SECRET}\n`);
    const e = createToolEngine({ host: { workspaceFolders: [h.root], trusted: true, ripgrepPath: 'rg', storeRoot: outsideStore } });
    const scope = h.scope(undefined, { settings: { sandbox_paths: false } });
    const prepared = await e.prepare({ id: 'x', name: 'read', args: { path: path.join(outsideStore, 'r-2.jsonl') } }, scope);
    assert.equal(prepared.decision.kind, 'block');
    const outcome = await e.execute(prepared, { by: 'user' }, never());
    assert.doesNotMatch(JSON.stringify(outcome), new RegExp(SECRET));
    // The same kind of path outside the store is only asked about: the rule is the store, not "outside".
    fs.writeFileSync(path.join(h.outside, 'other.txt'), 'x');
    assert.equal((await e.prepare({ id: 'y', name: 'read', args: { path: path.join(h.outside, 'other.txt') } }, scope)).decision.kind, 'ask');
  });
});
