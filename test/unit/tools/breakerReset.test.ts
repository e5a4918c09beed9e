import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createBreakwater, isBreakerResetError } from '../../../src/core/breakwater';
import type { CoreEvent } from '../../../src/core/common/coreEvents';
import { Emitter } from '../../../src/core/common/event';
import { FileState } from '../../../src/core/state/fileState';
import { emptyModel } from '../../../src/core/state/stateModel';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { createToolEngine } from '../../../src/core/tools/toolEngine';
import { makeHarness, type Harness } from './harness';
import { NO_KEYS } from '../../../src/core/providers/keyBinding';

type Transition = Extract<CoreEvent, { type: 'breaker_transition' }>;
const transitions = (events: CoreEvent[]) => events.filter((e): e is Transition => e.type === 'breaker_transition').map((e) => `${e.name}:${e.from}->${e.to}:${e.reason ?? ''}`);

describe('tool breaker reset', () => {
  let h: Harness;
  let store: string;
  beforeEach(() => (store = fs.mkdtempSync(path.join(os.tmpdir(), 'bw-reset-'))));
  afterEach(() => {
    h?.cleanup();
    fs.rmSync(store, { recursive: true, force: true });
  });

  it('closes an open breaker at once: the next call runs, the transition is announced and shared', async () => {
    const now = 1_000_000;
    const events: CoreEvent[] = [];
    const bus = new Emitter<CoreEvent>();
    bus.event((e) => events.push(e));
    const layout = new StoreLayout(store);
    const shared = () => FileState.open({ dir: layout.sharedState, clock: () => now, seed: emptyModel });
    h = makeHarness({ clock: () => now, events: bus, state: shared() });
    for (let i = 0; i < 3; i++) assert.equal((await h.run('bash', { command: 'exit 1' })).outcome.status, 'error');
    assert.equal(h.engine.stats().find((s) => s.tool === 'bash')?.state, 'open');

    assert.equal(h.engine.reset('bash'), true);

    const bash = h.engine.stats().find((s) => s.tool === 'bash');
    assert.equal(bash?.state, 'closed');
    assert.equal(bash?.retryAt, undefined);
    assert.equal(bash?.failures, 3, 'the history of failures stays; only the state is reset');
    assert.ok(transitions(events).includes('bash:open->closed:reset by the user'), transitions(events).join(', '));
    assert.equal((await h.run('bash', { command: 'touch ran' })).outcome.status, 'ok', 'the clock did not move: only the reset lets this run');
    assert.equal(fs.existsSync(path.join(h.root, 'ran')), true);

    const reopened = createToolEngine({ host: { workspaceFolders: [h.root], trusted: true, ripgrepPath: 'rg' }, clock: () => now, state: shared() });
    assert.equal(reopened.stats().find((s) => s.tool === 'bash')?.state, 'closed', 'the reset survives a reload');
    assert.equal(reopened.stats().find((s) => s.tool === 'bash')?.calls, 4, 'fleet stats are shared with the next process');
  });

  it('forgets a failure streak short of the threshold, without announcing a transition', async () => {
    const events: CoreEvent[] = [];
    const bus = new Emitter<CoreEvent>();
    bus.event((e) => events.push(e));
    h = makeHarness({ events: bus });
    for (let i = 0; i < 2; i++) await h.run('bash', { command: 'exit 1' });
    h.engine.reset('bash');
    await h.run('bash', { command: 'exit 1' });
    assert.equal(h.engine.stats().find((s) => s.tool === 'bash')?.state, 'closed', 'two failures, a reset, one failure: no streak of three');
    assert.deepEqual(transitions(events), []);
  });

  it('refuses a name that is not a tool', () => {
    h = makeHarness();
    assert.equal(h.engine.reset('rm'), false);
    assert.equal(h.engine.stats().some((s) => (s.tool) === 'rm'), false);
  });

  it('Breakwater.resetBreaker("tool", …) resets through the engine; an unknown tool is a BreakerResetError naming where names are', async () => {
    const layout = new StoreLayout(path.join(store, 'store'));
    fs.mkdirSync(path.dirname(layout.toolBreakers), { recursive: true });
    const retryAt = Date.now() + 600_000;
    fs.writeFileSync(layout.toolBreakers, JSON.stringify({ bash: { state: 'open', consecutiveFailures: 3, failures: 3, successes: 0, calls: 3, totalMs: 30, retryAt } }));
    const workspace = fs.mkdtempSync(path.join(store, 'ws-'));
    const bw = await createBreakwater({ workspaceFolders: [workspace], storeDir: layout.root, configFile: path.join(workspace, 'missing.yaml'), secrets: NO_KEYS, trusted: true, ripgrepPath: 'rg' });
    const events: CoreEvent[] = [];
    bw.events((e) => events.push(e));
    try {
      // A tool-breakers.json of an older version is taken into the shared state once.
      assert.equal(bw.status().breakers.tools.find((t) => t.name === 'bash')?.state, 'open');
      assert.equal(fs.existsSync(layout.toolBreakers), false);
      await bw.resetBreaker('tool', 'bash');
      assert.equal(bw.status().breakers.tools.find((t) => t.name === 'bash')?.state, 'closed');
      assert.ok(transitions(events).includes('bash:open->closed:reset by the user'));

      await assert.rejects(
        bw.resetBreaker('tool', 'rm'),
        (e: unknown) => isBreakerResetError(e) && e.scope === 'tool' && /no tool named "rm"; see status\(\)\.breakers\.tools/.test(e.message),
      );
    } finally {
      bw.dispose();
    }
  });
});
