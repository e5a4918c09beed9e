import * as assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as sinon from 'sinon';
import { isBrokenCircuitError } from 'cockatiel';
import { ProviderError } from '../../../src/core/providers/errors';
import { isCircuitOpenError } from '../../../src/core/resilience/errors';
import { PolicyRegistry } from '../../../src/core/resilience/policyRegistry';
import { policySettings, recordingBus } from './helpers';

const signal = new AbortController().signal;
const fail500 = async (): Promise<string> => {
  throw new ProviderError('server', 'internal error', { status: 500 });
};

describe('provider circuit breaker (through the shared policy)', () => {
  let clock: sinon.SinonFakeTimers;
  let dir: string;
  let registries: PolicyRegistry[] = [];
  beforeEach(async () => {
    registries = [];
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bw-breaker-'));
    clock = sinon.useFakeTimers({ now: 10_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    clock.restore();
    // Let pending breaker writes land before the folder goes.
    await Promise.all(registries.map((r) => r.flush()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  const open = async (overrides = {}, file: string | undefined = path.join(dir, 'state', 'breakers.json')) => {
    const rec = recordingBus();
    const registry = await PolicyRegistry.open({ settings: policySettings({ maxRetries: 0, breakerThreshold: 3, breakerOpenMs: 30_000, ...overrides }), events: rec.bus, breakerFile: file });
    registries.push(registry);
    return { registry, policy: registry.policyFor('anthropic', 'http://127.0.0.1:9/'), ...rec };
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
    const [t] = of('breaker_transition');
    assert.deepEqual([t!.from, t!.to, t!.retryAt], ['closed', 'open', Date.now() + 30_000]);
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
    assert.equal(registry.reset(policy.name), true);
    assert.equal(policy.breaker.state, 'closed');
    assert.equal(registry.reset('nope@x'), false);
  });

  it('survives a reload: a new registry on the same store fails fast without sending, then probes on time', async () => {
    const first = await open();
    for (let i = 0; i < 3; i++) await first.policy.execute(fail500, { signal }).catch(() => undefined);
    await first.registry.flush();
    const saved = JSON.parse(await fs.readFile(path.join(dir, 'state', 'breakers.json'), 'utf8'));
    assert.equal(saved.breakers[first.policy.name].state, 'open');

    // "Reload": a fresh registry, as the next CLI invocation or window would build.
    const second = await open();
    assert.equal(second.registry.stats()[0]!.state, 'open');
    let sent = 0;
    await assert.rejects(second.policy.execute(async () => { sent++; return 'x'; }, { signal }), isCircuitOpenError);
    assert.equal(sent, 0);
    await clock.tickAsync(30_000);
    assert.equal(await second.policy.execute(async () => { sent++; return 'back'; }, { signal }), 'back');
    assert.equal(sent, 1);
    await second.registry.flush();
    const after = JSON.parse(await fs.readFile(path.join(dir, 'state', 'breakers.json'), 'utf8'));
    assert.equal(after.breakers[first.policy.name].state, 'closed');
  });

  it('a long-running process adopts what another process sharing the store did, without writing it back', async () => {
    const window = await open(); // the VS Code window, open all along
    const cli = await open(); // a CLI invocation during an outage
    for (let i = 0; i < 3; i++) await cli.policy.execute(fail500, { signal }).catch(() => undefined);
    await cli.registry.flush();
    assert.equal(window.policy.breaker.state, 'closed', 'nothing read yet');

    await window.registry.refreshFromStore();
    assert.equal(window.policy.breaker.state, 'open');
    assert.equal(window.of('breaker_transition').at(-1)?.to, 'open', 'the tree hears about it');
    let sent = 0;
    await assert.rejects(window.policy.execute(async () => { sent++; return 'x'; }, { signal }), (e: unknown) => isCircuitOpenError(e));
    assert.equal(sent, 0, 'the window fails fast too');

    // Adopting is not news: the window wrote nothing, so a second look reads nothing and changes nothing.
    const before = await fs.stat(path.join(dir, 'state', 'breakers.json'));
    await window.registry.flush();
    await window.registry.refreshFromStore();
    assert.equal((await fs.stat(path.join(dir, 'state', 'breakers.json'))).mtimeMs, before.mtimeMs);

    // The CLI user resets the breaker; the window follows.
    cli.registry.reset(cli.policy.name);
    await cli.registry.flush();
    await window.registry.refreshFromStore();
    assert.equal(window.policy.breaker.state, 'closed');
  });

  it('a probe left half-open by a process that died is due again on load', async () => {
    const file = path.join(dir, 'breakers.json');
    await fs.writeFile(file, JSON.stringify({ version: 1, breakers: { 'openai@http://h': { state: 'half_open', openedAt: 1, probeStartedAt: Date.now() - 5, reason: 'server: down' } } }));
    const { registry } = await open({}, file);
    const policy = registry.get('openai@http://h')!;
    assert.equal(policy.breaker.state, 'open');
    assert.equal(await policy.execute(async () => 'probe ok', { signal }), 'probe ok');
  });

  it('reports a corrupt state file and starts closed rather than failing to start', async () => {
    const file = path.join(dir, 'breakers.json');
    await fs.writeFile(file, '{ not json');
    const errors: Error[] = [];
    const registry = await PolicyRegistry.open({ settings: policySettings(), events: recordingBus().bus, breakerFile: file, onStoreError: (e) => errors.push(e) });
    assert.equal(registry.stats().length, 0);
    assert.match(errors[0]!.message, /not valid \(not JSON/);
  });
});
