import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CoreEvent } from '../../../src/core/common/coreEvents';
import { Emitter } from '../../../src/core/common/event';
import { makeHarness, type Harness } from './harness';
import { markedSleep, noneLeft, someRunning } from '../security/processTable';

describe('bash tool', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  it('asks, then runs in the workspace folder', async () => {
    h = makeHarness();
    const { prepared, outcome } = await h.run('bash', { command: 'pwd' });
    assert.equal(prepared.decision.kind, 'ask');
    assert.deepEqual(prepared.approval?.fields, [{ label: 'In', value: h.root }]);
    assert.equal(outcome.status === 'ok' ? outcome.output.trim() : '', h.root);
  });

  it('closes stdin so a reading command ends at once', async () => {
    h = makeHarness();
    const { outcome } = await h.run('bash', { command: 'cat; echo done' });
    assert.equal(outcome.status === 'ok' ? outcome.output.trim() : '', 'done');
  });

  it('gives the child no secrets from the environment', async () => {
    h = makeHarness();
    process.env.ANTHROPIC_API_KEY = 'sk-test-secret';
    process.env.MY_SERVICE_TOKEN = 'tok-secret';
    try {
      const { outcome } = await h.run('bash', { command: 'cat /proc/$$/status >/dev/null; echo "[$ANTHROPIC_API_KEY][$MY_SERVICE_TOKEN][$HOME]"' });
      assert.equal(outcome.status, 'ok');
      const out = outcome.status === 'ok' ? outcome.output : '';
      assert.match(out, /^\[\]\[\]\[.+\]/);
    } finally {
      delete process.env.ANTHROPIC_API_KEY;
      delete process.env.MY_SERVICE_TOKEN;
    }
  });

  // The command runs in its own PID namespace, so `$!` is not a host PID: processes are found by a marker.
  it('a timeout kills the whole process group, grandchildren included', async () => {
    h = makeHarness({ commandTimeoutMs: 1500 });
    const s = markedSleep();
    const running = h.run('bash', { command: `${s.command} & wait` });
    assert.equal(await someRunning(s.marker), true);
    const { outcome } = await running;
    assert.equal(outcome.status, 'error');
    assert.match(outcome.status === 'error' ? outcome.error : '', /Timed out/);
    assert.equal(await noneLeft(s.marker), true);
  });

  it('a background child is not left running after the command exits', async () => {
    h = makeHarness();
    const s = markedSleep();
    const { outcome } = await h.run('bash', { command: `${s.command} & echo started` });
    assert.equal(outcome.status, 'ok');
    assert.equal(await noneLeft(s.marker), true);
  });

  it('cancelling kills the command', async () => {
    h = makeHarness();
    const s = markedSleep();
    const prepared = await h.prepare('bash', { command: `${s.command} & wait` });
    const controller = new AbortController();
    const running = h.engine.execute(prepared, { by: 'user' }, controller.signal);
    assert.equal(await someRunning(s.marker), true);
    controller.abort();
    const outcome = await running;
    assert.match(outcome.status === 'error' ? outcome.error : '', /Cancelled/);
    assert.equal(await noneLeft(s.marker), true);
  });

  it('caps output bytes with a marker', async () => {
    h = makeHarness({ outputCap: { maxBytes: 1000, maxLines: 10_000 } });
    const { outcome } = await h.run('bash', { command: 'head -c 50000 /dev/zero | tr "\\0" a' });
    assert.equal(outcome.status === 'ok' && outcome.truncated, true);
    assert.match(outcome.status === 'ok' ? outcome.output : '', /output truncated/);
  });

  it('a grant for the exact command lets it run without asking again', async () => {
    h = makeHarness();
    const first = await h.prepare('bash', { command: 'echo granted' });
    assert.equal(first.decision.kind, 'ask');
    h.engine.grant(first.decision.kind === 'ask' ? first.decision.grantKey ?? '' : '');
    const second = await h.prepare('bash', { command: 'echo granted' });
    assert.equal(second.decision.kind, 'allow');
    const other = await h.prepare('bash', { command: 'echo granted; touch x' });
    assert.equal(other.decision.kind, 'ask');
  });

  it('--yes (yes_flag) covers ask but not ask_every_time', async () => {
    h = makeHarness();
    const plain = await h.prepare('bash', { command: 'touch yes1' });
    assert.equal((await h.engine.execute(plain, { by: 'yes_flag' }, new AbortController().signal)).status, 'ok');
    const strict = await h.prepare('bash', { command: 'touch $(echo yes2)' });
    assert.equal(strict.decision.kind, 'ask_every_time');
    assert.equal((await h.engine.execute(strict, { by: 'yes_flag' }, new AbortController().signal)).status, 'blocked');
    assert.equal(fs.existsSync(path.join(h.root, 'yes2')), false);
  });
});

describe('tool breaker', () => {
  let h: Harness;
  afterEach(() => h.cleanup());

  it('opens after three failing results, answers without running, and reports stats', async () => {
    let now = 1_000_000;
    const events: string[] = [];
    const bus = new Emitter<CoreEvent>();
    bus.event((e) => events.push(e.type === 'breaker_transition' ? `${e.name}:${e.from}->${e.to}` : e.type));
    h = makeHarness({ clock: () => now, events: bus });
    for (let i = 0; i < 3; i++) assert.equal((await h.run('bash', { command: 'exit 1' })).outcome.status, 'error');
    const refused = await h.run('bash', { command: 'touch ran' });
    assert.equal(refused.outcome.status, 'blocked');
    assert.match(refused.outcome.status === 'blocked' ? refused.outcome.error : '', /temporarily disabled.*retry after 300 s/);
    assert.equal(fs.existsSync(path.join(h.root, 'ran')), false);
    const bash = h.engine.stats().find((s) => s.tool === 'bash');
    assert.equal(bash?.state, 'open');
    assert.equal(bash?.failures, 3);
    assert.equal(bash?.calls, 3);
    assert.ok(events.includes('bash:closed->open'));
    now += 300_001;
    assert.equal((await h.run('bash', { command: 'true' })).outcome.status, 'ok');
    assert.equal(h.engine.stats().find((s) => s.tool === 'bash')?.state, 'closed');
    assert.ok(events.includes('bash:open->half_open') && events.includes('bash:half_open->closed'));
  });

  it('a blocked call does not count as a failure', async () => {
    h = makeHarness();
    for (let i = 0; i < 4; i++) await h.run('bash', { command: 'rm -rf /' });
    assert.equal(h.engine.stats().find((s) => s.tool === 'bash')?.state, 'closed');
  });
});
