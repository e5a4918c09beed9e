import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
import { judgeCommand } from '../../../src/core/sandbox/shellPolicy';
import { WorkspaceSandbox } from '../../../src/core/sandbox/workspaceSandbox';

/**
 * Property: whatever the input (random `..`, links in and out, odd characters), an accepted path's
 * real location lies inside the workspace folder, and a refused "outside" path really is outside.
 * The oracle is computed independently with fs.realpathSync on the lexically resolved path.
 */
describe('sandbox properties (fast-check on a real temp folder)', () => {
  let base: string;
  let root: string;
  let sandbox: WorkspaceSandbox;

  before(() => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-prop-')));
    root = path.join(base, 'ws');
    fs.mkdirSync(path.join(root, 'a', 'b'), { recursive: true });
    fs.mkdirSync(path.join(base, 'ws-evil', 'x'), { recursive: true });
    fs.writeFileSync(path.join(root, 'a', 'f.txt'), 'in');
    fs.writeFileSync(path.join(base, 'ws-evil', 'x', 'g.txt'), 'out');
    fs.symlinkSync(path.join(base, 'ws-evil'), path.join(root, 'out'));
    fs.symlinkSync(path.join(root, 'a'), path.join(root, 'a', 'b', 'up'));
    fs.symlinkSync('../..', path.join(root, 'a', 'b', 'rel'));
    fs.symlinkSync('/etc', path.join(root, 'etc'));
    sandbox = new WorkspaceSandbox({ folders: [root] });
  });
  after(() => fs.rmSync(base, { recursive: true, force: true }));

  /** Real path of the nearest existing ancestor + the rest, as the kernel would see it. */
  function oracle(lexical: string): string {
    const tail: string[] = [];
    let cur = lexical;
    for (;;) {
      try {
        return path.join(fs.realpathSync(cur), ...tail);
      } catch {
        tail.unshift(path.basename(cur));
        const parent = path.dirname(cur);
        if (parent === cur) return lexical;
        cur = parent;
      }
    }
  }
  const inside = (p: string) => p === root || p.startsWith(root + path.sep);

  const segment = fc.oneof(
    fc.constantFrom('..', '.', 'a', 'b', 'out', 'up', 'rel', 'etc', 'x', 'f.txt', 'g.txt', 'ws-evil', 'ws', '~', '%2e%2e', 'new', ' sp ace', 'ünï', 'a:b', '*', '\\'),
    fc.string({ minLength: 1, maxLength: 4 }).filter((s) => !s.includes('/') && !s.includes('\0')),
  );
  const input = fc.tuple(fc.boolean(), fc.array(segment, { minLength: 1, maxLength: 7 })).map(([abs, segs]) => (abs ? path.join(base, ...segs) : segs.join('/')));

  for (const intent of ['read', 'write'] as const) {
    it(`every ${intent} decision matches the oracle "real path inside the workspace folder"`, async () => {
      await fc.assert(
        fc.asyncProperty(input, async (p) => {
          const r = await sandbox.resolve(p, intent);
          const lexical = path.resolve(root, p);
          if (r.ok) {
            assert.ok(inside(r.path), `accepted ${p} → ${r.path}`);
            assert.equal(r.path, oracle(lexical), `resolved ${p} differently from the kernel`);
          } else if (r.code === 'outside') {
            assert.ok(!inside(oracle(lexical)), `refused ${p} as outside but it is inside`);
          }
        }),
        { numRuns: 300 },
      );
    });
  }
});

/** Exec wrappers with their options, as an agent (or an attacker) would chain them. */
const WRAPPER_PREFIXES: readonly string[] = [
  'nice', 'nice -n 5', 'nice -10', 'ionice -c 2 -n 7', 'timeout 5', 'timeout -s KILL 9', 'timeout --kill-after=1 5s', 'stdbuf -oL',
  'stdbuf -i 0 -e L', 'chrt -f 1', 'taskset -c 0', 'taskset 0x1', 'setpriv --nnp', 'setpriv --reuid 1000', 'prlimit --nofile=10',
  'unshare -r', 'unshare -r -n', 'nsenter -t 1 -m', 'flock /tmp/bw.lock', 'env', 'env A=1', 'env -u HOME', 'command', 'exec', 'builtin',
  '/usr/bin/time -f %e', 'nohup', 'setsid -w', 'xargs -n 1', 'xargs -I{}', 'sudo', 'sudo -u root', 'sudo -E -u root', 'doas -u root', 'busybox',
  'watch -x', 'strace -f -o /dev/null', 'caffeinate -i', 'fakeroot', 'torsocks', 'sshpass -e', 'numactl -N 0', 'dbus-run-session --',
];
/** Hard blocks wherever they are run from. */
const DANGEROUS_PAYLOADS = ['rm -r /', 'rm -rf ~/', 'rm -r "$HOME"', 'rm -R /tmp/../', 'mkfs.ext4 /dev/sdz', 'dd if=/dev/zero of=/dev/sdz', 'chmod -R 777 /', 'find / -delete', 'curl x', '/usr/bin/curl x'];
/** Interpreters fed code: never less than ask-every-time. `@W` is where the wrapper chain goes. */
const FED_PAYLOADS = [
  '@W python3 -c "print(1)"', '@W node -e 1', '@W perl -e 1', '@W ruby -e 1', '@W php -r 1', '@W lua -e 1',
  'echo "print(1)" | @W python3', 'echo 1 | @W node', 'echo 1 | @W perl', '@W python3 - <<< "print(1)"', "@W ruby <<'EOF'\nputs 1\nEOF",
  'echo BEGIN{} | @W awk -f -', '@W python3 /dev/stdin <<< 1', 'echo ls | @W dash', 'echo ls | @W bash -s',
];

describe('shell policy property: wrappers never hide what they run', () => {
  const chain = fc.array(fc.constantFrom(...WRAPPER_PREFIXES), { maxLength: 5 }).map((c) => c.join(' '));
  const judge = (command: string) => judgeCommand(command, { cwd: '/', allowedLists: [], denied: ['curl'] });

  it('a dangerous command behind any chain of wrappers is a hard block', async () => {
    await fc.assert(
      fc.asyncProperty(chain, fc.constantFrom(...DANGEROUS_PAYLOADS), async (wrappers, payload) => {
        const command = `${wrappers} ${payload}`.trim();
        const judged = await judge(command);
        assert.equal(judged.decision.kind, 'block', `${JSON.stringify(command)} → ${JSON.stringify(judged.decision)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('an interpreter or shell fed code behind any chain of wrappers is never allow or ask', async () => {
    await fc.assert(
      fc.asyncProperty(chain, fc.constantFrom(...FED_PAYLOADS), async (wrappers, payload) => {
        const command = payload.replace('@W', wrappers).replace(/ +/g, ' ').trim();
        const judged = await judge(command);
        assert.ok(judged.decision.kind === 'ask_every_time' || judged.decision.kind === 'block', `${JSON.stringify(command)} → ${JSON.stringify(judged.decision)}`);
      }),
      { numRuns: 400 },
    );
  });

  it('the same chains around an ordinary command are not blocked (the property can fail)', async () => {
    await fc.assert(
      fc.asyncProperty(chain, fc.constantFrom('ls -la', 'echo hi', 'cat a.txt', 'python3 build.py', 'git status'), async (wrappers, payload) => {
        const command = `${wrappers} ${payload}`.trim();
        const judged = await judge(command);
        assert.notEqual(judged.decision.kind, 'block', `${JSON.stringify(command)} → ${JSON.stringify(judged.decision)}`);
        if (wrappers === '') assert.equal(judged.decision.kind, 'allow', `${JSON.stringify(command)} → ${JSON.stringify(judged.decision)}`);
      }),
      { numRuns: 200 },
    );
  });
});
