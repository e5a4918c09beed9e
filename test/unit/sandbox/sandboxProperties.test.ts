import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import fc from 'fast-check';
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
