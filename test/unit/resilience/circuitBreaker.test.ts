import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { isBrokenCircuitError } from 'cockatiel';
import { ProviderError } from '../../../src/core/providers/errors';
import { isCircuitOpenError } from '../../../src/core/resilience/errors';
import { PolicyRegistry } from '../../../src/core/resilience/policyRegistry';
import { openSharedState } from '../../../src/core/cost/openSharedState';
import type { SharedState } from '../../../src/core/state/sharedState';
import { StoreLayout } from '../../../src/core/store/storeLayout';
import { policySettings, recordingBus } from './helpers';
import { must } from '../../fixtures/must';

const signal = new AbortController().signal;
const fail500 = async (): Promise<string> => {
  throw new ProviderError('server', 'internal error', { status: 500 });
};

describe('provider circuit breaker (through the shared policy)', () => {
  let clock: sinon.SinonFakeTimers;
  let dir: string;
  let registries: PolicyRegistry[] = [];
  let states: SharedState[] = [];
  beforeEach(async () => {
    registries = [];
    states = [];
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-breaker-'));
    clock = sinon.useFakeTimers({ now: 10_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    clock.restore();
    registries.forEach((r) => r.dispose());
    await Promise.all(states.map((s) => s.close()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  /** A registry over the store's shared state, as one process (a CLI invocation, a window) opens it. */
  const open = async (overrides = {}) => {
    const rec = recordingBus();
    const warnings: string[] = [];
    const opened = await openSharedState({ config: { backend: 'file', on_unavailable: 'fail' }, layout: new StoreLayout(dir), env: {}, clock: () => Date.now() });
    warnings.push(...opened.warnings);
    states.push(opened.state);
    const registry = await PolicyRegistry.open({ settings: policySettings({ maxRetries: 0, breakerThreshold: 3, breakerOpenMs: 30_000, ...overrides }), events: rec.bus, state: opened.state });
    registries.push(registry);
    return { registry, policy: registry.policyFor('anthropic', 'http://127.0.0.1:9/'), warnings, ...rec };
  };

  it('opens after exactly `threshold` consecutive transient failures and then fails fast with retryAt', async () => {
    const { policy, of } = await open();
    let sent = 0;
    const counted = async () => {
      sent++;
      return fail500();
    };
    for (let i = 0; i < 2; i++) await policy.execute(counted, { signal }).catch(() => undefined);
    assert.equal(policy.breaker.state, 'closed');
    await policy.execute(counted, { signal }).catch(() => undefined);
    assert.equal(policy.breaker.state, 'open');
    await assert.rejects(policy.execute(counted, { signal }), (e: unknown) => isCircuitOpenError(e) && isBrokenCircuitError(e) && e.retryAt === Date.now() + 30_000 && e.policyName === 'anthropic@http://127.0.0.1:9');
    assert.equal(sent, 3);
    const transitions = of('breaker_transition');
    const t = must(transitions[0], 'breaker transition #1');
    assert.deepEqual([t.from, t.to, t.retryAt], ['closed', 'open', Date.now() + 30_000]);
  });

  it('a success in between resets the count (consecutive failures only)', async () => {
    const { policy } = await open();
    for (const fn of [fail500, fail500, async () => 'ok', fail500, fail500]) await policy.execute(fn, { signal }).catch(() => undefined);
    assert.equal(policy.breaker.state, 'closed');
  });

  it('401, bad request, context too long and aborts never open it', async () => {
    const { policy } = await open({ breakerThreshold: 1 });
    for (const kind of ['auth', 'bad_request', 'context_too_long', 'aborted'] as const) {
      await policy.execute(async () => { throw new ProviderError(kind, kind); }, { signal }).catch(() => undefined);
    }
    assert.equal(policy.breaker.state, 'closed');
    assert.equal(policy.stats().failures, 4);
  });

  it('half-open lets exactly one probe through while concurrent callers fail fast; success closes', async () => {
    const { policy, of } = await open();
    for (let i = 0; i < 3; i++) await policy.execute(fail500, { signal }).catch(() => undefined);
    await clock.tickAsync(30_000);
    let probes = 0;
    let finishProbe!: (v: string) => void;
    const probe = policy.execute(() => {
      probes++;
      return new Promise<string>((resolve) => (finishProbe = resolve));
    }, { signal });
    assert.equal(policy.breaker.state, 'half_open');
    const others = await Promise.all(Array.from({ length: 5 }, () => policy.execute(async () => { probes++; return 'x'; }, { signal }).catch((e: unknown) => e)));
    assert.ok(others.every((e) => isCircuitOpenError(e) && e.state === 'half_open'));
    assert.equal(probes, 1);
    finishProbe('recovered');
    assert.equal(await probe, 'recovered');
    assert.equal(policy.breaker.state, 'closed');
    assert.deepEqual(of('breaker_transition').map((t) => t.to), ['open', 'half_open', 'closed']);
    assert.equal(await policy.execute(async () => 'normal again', { signal }), 'normal again');
  });

  it('a failed probe reopens it for another full timeout', async () => {
    const { policy } = await open();
    for (let i = 0; i < 3; i++) await policy.execute(fail500, { signal }).catch(() => undefined);
    await clock.tickAsync(30_000);
    await policy.execute(fail500, { signal }).catch(() => undefined);
    assert.equal(policy.breaker.state, 'open');
    assert.equal(policy.stats().retryAt, Date.now() + 30_000);
  });

  it('a cancelled probe hands the turn to the next caller instead of wedging half-open', async () => {
    const { policy } = await open();
    for (let i = 0; i < 3; i++) await policy.execute(fail500, { signal }).catch(() => undefined);
    await clock.tickAsync(30_000);
    const ac = new AbortController();
    const probe = policy.execute(({ signal: s }) => new Promise<string>((_r, reject) => s.addEventListener('abort', () => reject(new Error('aborted')))), { signal: ac.signal });
    ac.abort();
    await probe.catch(() => undefined);
    assert.equal(await policy.execute(async () => 'next probe', { signal }), 'next probe');
    assert.equal(policy.breaker.state, 'closed');
  });

  it('enable_circuit_breaker: false never opens it', async () => {
    const { policy } = await open({ breakerEnabled: false, breakerThreshold: 1 });
    for (let i = 0; i < 5; i++) await policy.execute(fail500, { signal }).catch(() => undefined);
    assert.equal(policy.breaker.state, 'closed');
  });

  it('a manual reset closes it at once', async () => {
    const { registry, policy } = await open();
    for (let i = 0; i < 3; i++) await policy.execute(fail500, { signal }).catch(() => undefined);
    assert.equal(await registry.reset(policy.name), true);
    assert.equal(policy.breaker.state, 'closed');
    assert.equal(await registry.reset('nope@x'), false);
  });

  it('survives a reload: a new registry on the same store fails fast without sending, then probes on time', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) await first.policy.execute(fail500, { signal }).catch(() => undefined);

    // "Reload": a fresh registry, as the next CLI invocation or window would build.
    const second = await open();
    assert.equal(must(second.registry.stats()[0], 'second.registry.stats()[0]').state, 'open');
    assert.equal(must(second.registry.stats()[0], 'second.registry.stats()[0]').calls, 3, 'the fleet stats are shared too');
    let sent = 0;
    await assert.rejects(second.policy.execute(async () => { sent++; return 'x'; }, { signal }), isCircuitOpenError);
    assert.equal(sent, 0);
    await clock.tickAsync(30_000);
    assert.equal(await second.policy.execute(async () => { sent++; return 'back'; }, { signal }), 'back');
    assert.equal(sent, 1);
    assert.equal(first.policy.breaker.state, 'closed', 'the probe closed it for the first process too');
  });

  it('failures are counted across processes: two each in two processes open a threshold-3 breaker', async () => {
    const a = await open();
    const b = await open();
    await a.policy.execute(fail500, { signal }).catch(() => undefined);
    await b.policy.execute(fail500, { signal }).catch(() => undefined);
    assert.equal(a.policy.breaker.state, 'closed');
    await a.policy.execute(fail500, { signal }).catch(() => undefined);
    assert.equal(b.policy.breaker.state, 'open');
    let sent = 0;
    await assert.rejects(b.policy.execute(async () => { sent++; return 'x'; }, { signal }), isCircuitOpenError);
    assert.equal(sent, 0);
  });

  it('a long-running process sees what another process did, and only the one that caused a transition audits it', async () => {
    const window = await open(); // the VS Code window, open all along
    const cli = await open(); // a CLI invocation during an outage
    for (let i = 0; i < 3; i++) await cli.policy.execute(fail500, { signal }).catch(() => undefined);
    assert.deepEqual(cli.of('breaker_transition').map((t) => [t.to, t.observed]), [['open', undefined]]);

    assert.equal(window.policy.breaker.state, 'open');
    assert.deepEqual(window.of('breaker_transition').map((t) => [t.to, t.observed]), [['open', true]], 'the tree hears about it, marked as seen from elsewhere');
    let sent = 0;
    await assert.rejects(window.policy.execute(async () => { sent++; return 'x'; }, { signal }), (e: unknown) => isCircuitOpenError(e));
    assert.equal(sent, 0, 'the window fails fast too');

    // The CLI user resets the breaker; the window follows.
    await cli.registry.reset(cli.policy.name);
    assert.equal(window.policy.breaker.state, 'closed');
  });

  it('after the timeout exactly one of several processes probes; the others fail fast until it settles', async () => {
    const procs = [await open(), await open(), await open(), await open()];
    for (let i = 0; i < 3; i++) await must(procs[0], 'procs[0]').policy.execute(fail500, { signal }).catch(() => undefined);
    await clock.tickAsync(30_000);
    let probes = 0;
    let finish!: (v: string) => void;
    const results = procs.map((p) => p.policy.execute(() => { probes++; return new Promise<string>((r) => (finish = r)); }, { signal }).catch((e: unknown) => e));
    await clock.tickAsync(0);
    assert.equal(probes, 1);
    finish('up');
    const settled = await Promise.all(results);
    assert.equal(settled.filter((r) => r === 'up').length, 1);
    assert.ok(settled.filter((r) => r !== 'up').every((e) => isCircuitOpenError(e) && e.state === 'half_open'));
    assert.ok(procs.every((p) => p.policy.breaker.state === 'closed'));
  });

  it('a probe left half-open by a process that died is due again on load (a breakers.json of an older version)', async () => {
    await fs.mkdir(path.join(dir, 'state'), { recursive: true });
    await fs.writeFile(path.join(dir, 'state', 'breakers.json'), JSON.stringify({ version: 1, breakers: { 'openai@http://h': { state: 'half_open', openedAt: 1, probeStartedAt: Date.now() - 5, reason: 'server: down' } } }));
    const { registry } = await open();
    const policy = registry.get('openai@http://h')!;
    assert.equal(policy.breaker.state, 'open');
    assert.equal(await policy.execute(async () => 'probe ok', { signal }), 'probe ok');
    await assert.rejects(fs.stat(path.join(dir, 'state', 'breakers.json')), 'imported once, then removed');
  });

  it('reports a corrupt breakers.json once, naming it, and starts closed rather than failing to start', async () => {
    await fs.mkdir(path.join(dir, 'state'), { recursive: true });
    await fs.writeFile(path.join(dir, 'state', 'breakers.json'), '{ not json');
    const { registry, warnings } = await open();
    assert.ok(registry.stats().every((b) => b.state === 'closed'));
    assert.equal(warnings.length, 1);
    assert.match(must(warnings[0], 'warnings[0]'), /breakers\.json is damaged \(not JSON/);
    const again = await open();
    assert.deepEqual(again.warnings, [], 'moved aside: the next process is not warned again');
  });
});
