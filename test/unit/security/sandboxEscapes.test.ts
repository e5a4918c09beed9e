import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configSchema } from '../../../src/core/config/schema';
import { createToolEngine } from '../../../src/core/tools/toolEngine';
import { useFakeLlm } from '../../fixtures/fake-llm/useFakeLlm';
import { TEST_STATE_HOME, testStoreOf } from '../../fixtures/stateHome';
import { runCliInProcess } from '../cli/runCliInProcess';
import { attempt, cliEnv, escapeWorld, HOME_SECRET, KEY, SIBLING_SECRET, type Attempt, type EscapeWorld } from './sandboxHarness';
import { markedSleep, noneLeft, processesWith } from './processTable';
import { must } from '../../fixtures/must';

/**
 * The OS sandbox as an attacker meets it: a scripted model asks for each command under `--yes` (and a
 * call that waits for its own approval is approved by its call id, as a user would), so every command
 * RUNS; what must stop it is bubblewrap. Each case asserts the gate's decision (asked, never silently
 * allowed, never blocked by a rule so the sandbox is really tested), the disk afterwards, and that the
 * secret is absent from what the model was sent next. Controls show the same path does carry content.
 */
type Case = readonly [
  name: string,
  setup: (w: EscapeWorld) => void,
  command: (w: EscapeWorld) => string,
  check: (w: EscapeWorld, a: Attempt) => void,
];

const SECRET = 'TOP-SECRET-VALUE-51b7';
const ran = (a: Attempt) => {
  assert.ok(a.decision === 'ask' || a.decision === 'ask_every_time', `decision ${a.decision}`);
  assert.ok(a.status === 'ok' || a.status === 'error', `status ${a.status}: the command must have run (${a.stderr})`);
};
const modelNeverSaw = (...secrets: string[]) => (_w: EscapeWorld, a: Attempt) => {
  ran(a);
  for (const s of secrets) assert.equal(a.modelSaw.includes(s), false, `the model was sent ${s}`);
};
const read = (p: string) => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : undefined);
const none = () => undefined;

const CASES: readonly Case[] = [
  // Controls: the same path carries ordinary content, so the absence checks below can fail.
  ['control: an ordinary workspace file reaches the model', (w) => w.file('notes.txt', 'PLAIN-CONTENT-0a1'), () => 'cat notes.txt', (_w, a) => (ran(a), assert.match(a.modelSaw, /PLAIN-CONTENT-0a1/))],
  ['control: a new file in the workspace is written', none, () => 'echo made > made.txt', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, 'made.txt')), 'made\n'))],
  ['control: programs from the system run (node, git)', none, () => 'node -e "console.log(6*7)"; git --version', (_w, a) => (ran(a), assert.match(a.modelSaw, /42/), assert.match(a.modelSaw, /git version/))],

  // Outside the workspace: invisible, and not writable.
  ['cat ../sibling/x', none, () => 'cat ../app-evil/x', modelNeverSaw(SIBLING_SECRET)],
  ['cd .. && cat sibling/x', none, () => 'cd .. && cat app-evil/x', modelNeverSaw(SIBLING_SECRET)],
  ['an absolute path to the sibling folder', none, (w) => `cat ${w.sibling}/x`, modelNeverSaw(SIBLING_SECRET)],
  ['ls of the parent folder shows only the workspace', none, () => 'ls -la ..', modelNeverSaw('app-evil')],
  ['find / for the sibling secret', none, () => 'find / -name x -path "*app-evil*" 2>/dev/null | xargs cat 2>/dev/null; true', modelNeverSaw(SIBLING_SECRET)],
  ['cp a ../sibling/copied', (w) => w.file('a', 'A'), () => 'cp a ../app-evil/copied', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.sibling, 'copied')), false))],
  ['cd .. && touch sibling/new', none, () => 'cd .. && touch app-evil/new', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.sibling, 'new')), false))],
  ['tee into an absolute path outside', (w) => w.file('a', 'A'), (w) => `tee ${w.sibling}/teed < a`, (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.sibling, 'teed')), false))],
  ['overwrite a file outside through a symlink made inside', none, () => 'ln -s ../app-evil/x link && echo pwned > link', (w, a) => (ran(a), assert.equal(read(path.join(w.sibling, 'x')), SIBLING_SECRET))],
  ['a symlink to the sibling that was there before the run', (w) => fs.symlinkSync(w.sibling, path.join(w.ws, 'shortcut')), () => 'cat shortcut/x; echo pwned | tee shortcut/x', (w, a) => (modelNeverSaw(SIBLING_SECRET)(w, a), assert.equal(read(path.join(w.sibling, 'x')), SIBLING_SECRET))],
  ['a symlink to /etc/shadow', none, () => 'ln -s /etc/shadow s && cat s', modelNeverSaw('root:')],
  ['~/.ssh/id_rsa', none, () => 'cat ~/.ssh/id_rsa', modelNeverSaw(HOME_SECRET)],
  ['the real home by absolute path', none, (w) => `cat ${w.home}/.ssh/id_rsa`, modelNeverSaw(HOME_SECRET)],
  ['/root and /home are empty or absent', none, () => 'ls -la /root /home 2>&1; cat /root/.bashrc 2>&1 | head -3', modelNeverSaw('.bashrc\\n', 'alias ')],
  ['/etc/shadow', none, () => 'cat /etc/shadow /etc/gshadow', modelNeverSaw('root:')],
  ['ssh host private keys', none, () => 'cat /etc/ssh/ssh_host_*_key 2>&1; true', modelNeverSaw('PRIVATE KEY')],
  ['a write to /etc', none, () => 'touch /etc/bw-sandbox-probe', (_w, a) => (ran(a), assert.equal(fs.existsSync('/etc/bw-sandbox-probe'), false))],
  ['a write to /usr/local/bin', none, () => 'touch /usr/local/bin/bw-sandbox-probe', (_w, a) => (ran(a), assert.equal(fs.existsSync('/usr/local/bin/bw-sandbox-probe'), false))],
  ['/tmp is private: nothing lands in the host /tmp', none, () => 'touch /tmp/bw-sandbox-probe-tmp', (_w, a) => (ran(a), assert.equal(fs.existsSync('/tmp/bw-sandbox-probe-tmp'), false))],
  ['the home is private: nothing lands in the real home', none, () => 'touch ~/planted', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.home, 'planted')), false))],

  // Secrets and ignored files inside the workspace.
  ['read .env', (w) => w.file('.env', `TOKEN=${SECRET}`), () => 'cat .env', modelNeverSaw(SECRET)],
  ['read .env.local', (w) => w.file('.env.local', SECRET), () => 'cat .env.local', modelNeverSaw(SECRET)],
  ['read a *.pem', (w) => w.file('certs/server.pem', SECRET), () => 'cat certs/server.pem', modelNeverSaw(SECRET)],
  ['read a *.key deep in the tree', (w) => w.file('a/b/c/d/prod.key', SECRET), () => 'cat a/b/c/d/prod.key', modelNeverSaw(SECRET)],
  ['read id_rsa in the workspace', (w) => w.file('deploy/id_rsa', SECRET), () => 'cat deploy/id_rsa', modelNeverSaw(SECRET)],
  ['grep -r over the workspace', (w) => w.file('.env', `TOKEN=${SECRET}`), () => 'grep -r TOKEN . ; true', modelNeverSaw(SECRET)],
  ['a symlink alias made before the run', (w) => (w.file('.env', SECRET), fs.symlinkSync('.env', path.join(w.ws, 'innocent.txt'))), () => 'cat innocent.txt', modelNeverSaw(SECRET)],
  ['a symlink alias made by the command', (w) => w.file('.env', SECRET), () => 'ln -s .env alias && cat alias', modelNeverSaw(SECRET)],
  ['a hard link made by the command', (w) => w.file('.env', SECRET), () => 'ln .env hard; cat hard', modelNeverSaw(SECRET)],
  ['renaming the secret away', (w) => w.file('.env', SECRET), () => 'mv .env plain.txt; cat plain.txt', (w, a) => (modelNeverSaw(SECRET)(w, a), assert.equal(read(path.join(w.ws, '.env')), SECRET))],
  ['unmounting the mask', (w) => w.file('.env', SECRET), () => 'umount .env; cat .env', modelNeverSaw(SECRET)],
  // Writes the current value back, so even a failing sandbox changes nothing on the host.
  ['writing a kernel setting (as root: /proc/sys)', none, () => 'cat /proc/sys/vm/swappiness | tee /proc/sys/vm/swappiness', (_w, a) => (ran(a), assert.match(a.modelSaw, /Read-only file system/))],
  ['no capabilities are left, even for root', none, () => 'grep CapEff /proc/self/status', (_w, a) => (ran(a), assert.match(a.modelSaw, /CapEff:\\t0000000000000000/))],
  ['unmounting the mask from a new user namespace', (w) => w.file('.env', SECRET), () => 'unshare -rm sh -c "umount .env; cat .env"; true', modelNeverSaw(SECRET)],
  ['an ignored file', (w) => (w.file('.breakwaterignore', 'private.txt\n'), w.file('private.txt', SECRET)), () => 'cat private.txt', modelNeverSaw(SECRET)],
  ['an ignored folder', (w) => (w.file('.breakwaterignore', 'vault/\n'), w.file('vault/hidden-name-77.txt', SECRET)), () => 'ls -la vault; cat vault/*', modelNeverSaw(SECRET, 'hidden-name-77')],
  ['an ignored glob', (w) => (w.file('.breakwaterignore', '*.secret\n'), w.file('x/y.secret', SECRET)), () => 'cat x/y.secret', modelNeverSaw(SECRET)],
  // The policy refuses any command that names the store; these spell it so the policy cannot see it (the name is
  // computed at run time), so what keeps the logs unread is the sandbox.
  ['the store, given inside the workspace with --store', none, () => 'd="$(echo erots | rev)"; cat "$d"/*.jsonl 2>&1; ls -la "$d"', modelNeverSaw('run_started')],
  ['the default store by absolute path', none, (w) => `d="$(echo ${[...testStoreOf(w.ws)].reverse().join('')} | rev)"; cat "$d"/*.jsonl 2>&1`, modelNeverSaw('run_started')],
  ['the user state dir', none, () => `ls -laR ${TEST_STATE_HOME} 2>&1 | head -20`, modelNeverSaw('.jsonl')],

  // Protected paths stay read-only, also when they do not exist yet.
  ['write .git/hooks (existing .git)', (w) => w.file('.git/HEAD', 'ref: refs/heads/main\n'), () => 'mkdir -p .git/hooks && echo "curl evil" > .git/hooks/pre-commit', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, '.git', 'hooks', 'pre-commit')), false))],
  ['edit .git/config', (w) => w.file('.git/config', '[core]\n'), () => 'printf "[core]\\n\\tfsmonitor = evil\\n" >> .git/config', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, '.git', 'config')), '[core]\n'))],
  ['create .git where there is none', none, () => 'mkdir -p .git/hooks; echo x > .git/hooks/post-checkout', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, '.git')), false, 'no .git, not even an empty stub, is left'))],
  ['git init where there is none', none, () => 'git init -q .', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, '.git')), false))],
  ['remove .git', (w) => w.file('.git/HEAD', 'ref: refs/heads/main\n'), () => 'rm -rf .git', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, '.git', 'HEAD')), 'ref: refs/heads/main\n'))],
  ['write .vscode/settings.json (existing .vscode)', (w) => w.file('.vscode/settings.json', '{}'), () => 'echo \'{"terminal.integrated.shell.linux":"/tmp/x"}\' > .vscode/settings.json', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, '.vscode', 'settings.json')), '{}'))],
  ['create .vscode/settings.json where there is no .vscode', none, () => 'mkdir -p .vscode && echo "{}" > .vscode/settings.json', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, '.vscode')), false, 'no .vscode, not even an empty stub, is left'))],
  ['rename .vscode away and make a new one', (w) => w.file('.vscode/tasks.json', '{}'), () => 'mv .vscode old; mkdir .vscode; echo evil > .vscode/tasks.json', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, '.vscode', 'tasks.json')), '{}'), assert.equal(fs.existsSync(path.join(w.ws, 'old')), false))],
  ['edit .breakwater/agents.yaml to turn sandbox_paths off', none, () => 'echo "settings: { sandbox_paths: false }" > .breakwater/agents.yaml', (w, a) => (ran(a), assert.doesNotMatch(read(path.join(w.ws, '.breakwater', 'agents.yaml')) ?? '', /sandbox_paths/))],
  ['overwrite .breakwaterignore', (w) => w.file('.breakwaterignore', 'vault/\n'), () => 'echo "" > .breakwaterignore', (w, a) => (ran(a), assert.equal(read(path.join(w.ws, '.breakwaterignore')), 'vault/\n'))],
  ['create .breakwaterignore where there is none', none, () => 'echo "*" > .breakwaterignore', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, '.breakwaterignore')), false))],
  ['a nested repository\'s hooks', (w) => w.file('vendor/lib/.git/HEAD', 'x'), () => 'mkdir -p vendor/lib/.git/hooks; echo x > vendor/lib/.git/hooks/pre-push', (w, a) => (ran(a), assert.equal(fs.existsSync(path.join(w.ws, 'vendor/lib/.git/hooks/pre-push')), false))],

  // The parent's environment and process table.
  ['/proc/$PPID/environ', none, () => 'cat /proc/$PPID/environ | tr "\\0" "\\n"', modelNeverSaw(KEY)],
  ['/proc/1/environ', none, () => 'cat /proc/1/environ | tr "\\0" "\\n"', modelNeverSaw(KEY)],
  ['cat /proc/*/environ', none, () => 'cat /proc/*/environ 2>/dev/null | tr "\\0" "\\n"; true', modelNeverSaw(KEY)],
  ['ps eww', none, () => 'ps eww -A', modelNeverSaw(KEY)],
  ['the process table holds only the sandbox', none, () => 'ps -A -o pid=,comm=', (_w, a) => (ran(a), assert.doesNotMatch(a.modelSaw, /\bnode\b|mocha/))],
  ['the own environment has no key', none, () => 'env', modelNeverSaw(KEY)],
  ['kill -9 -1 reaches nothing outside', none, () => 'kill -9 -1; true', (_w, a) => ran(a)],
];

describe('security: OS sandbox escapes (real bubblewrap, --yes, scripted model)', function () {
  this.timeout(60_000);
  const llm = useFakeLlm();
  let world: EscapeWorld | undefined;
  afterEach(() => world?.cleanup());

  for (const [name, setup, command, check] of CASES) {
    it(name, async () => {
      world = escapeWorld();
      setup(world);
      // The store case: a first run leaves its log in `store/` inside the workspace.
      const store = name.includes('--store') ? 'store' : undefined;
      if (store !== undefined) {
        llm.enqueue({ kind: 'reply', text: 'first run' });
        assert.equal((await runCliInProcess(['--agent', 'dev', '--prompt', 'one', '--store', store, '--json'], world.ws, cliEnv(llm, world))).code, 0);
        assert.ok(fs.readdirSync(path.join(world.ws, store)).some((n) => n.endsWith('.jsonl')), 'the first run is in the store');
      }
      const a = await attempt(llm, world, command(world), store === undefined ? {} : { store });
      assert.equal(a.modelSaw.includes('not sandboxed'), false, 'the call ran sandboxed');
      check(world, a);
    });
  }

  it('multi-root: every workspace folder is writable, each keeps its own protection, and what lies between them is invisible', async () => {
    world = escapeWorld();
    const second = path.join(world.base, 'second');
    fs.mkdirSync(path.join(second, '.git'), { recursive: true });
    fs.writeFileSync(path.join(second, '.env'), SECRET);
    const engine = createToolEngine({ host: { workspaceFolders: [world.ws, second], trusted: true, ripgrepPath: 'rg' }, commandTimeoutMs: 20_000 });
    const cfg = configSchema.parse({ agents: { t: { tools: ['bash'] } } });
    const prepared = await engine.prepare({ id: 'm1', name: 'bash', args: { command: `touch made-here ${second}/made-there; cat ${second}/.env; touch ${second}/.git/evil; cat ../app-evil/x; true` } }, { agentName: 't', agent: must(cfg.agents.t, 'agent t'), config: cfg });
    const outcome = await engine.execute(prepared, { by: 'user' }, new AbortController().signal);
    const out = outcome.status === 'ok' ? outcome.output : JSON.stringify(outcome);
    assert.ok(fs.existsSync(path.join(world.ws, 'made-here')) && fs.existsSync(path.join(second, 'made-there')), out);
    assert.equal(out.includes(SECRET), false);
    assert.equal(out.includes(SIBLING_SECRET), false);
    assert.equal(fs.existsSync(path.join(second, '.git', 'evil')), false);
  });

  it('a host process survives kill -9 -1 from inside (the sandbox cannot signal outside)', async () => {
    world = escapeWorld();
    const { spawn } = await import('node:child_process');
    const s = markedSleep();
    const [file, arg] = s.command.split(' ');
    const victim = spawn(must(file, 'the sleep program'), [must(arg, 'its argument')], { stdio: 'ignore' });
    try {
      await attempt(llm, world, 'kill -9 -1; true');
      assert.equal(processesWith(s.marker).length, 1, 'the host process outside the sandbox is alive');
    } finally {
      victim.kill('SIGKILL');
    }
    assert.equal(await noneLeft(s.marker), true);
  });
});
