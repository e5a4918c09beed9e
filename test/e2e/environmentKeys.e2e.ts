/**
 * Keys from the environment in a real VS Code (what `npm run demo` relies on): with ANTHROPIC_API_KEY in the extension
 * host's environment and nothing in SecretStorage, a trusted window uses it — bound to ANTHROPIC_BASE_URL (here the
 * fake LLM server) — and the chat says where the key came from.
 */
import * as assert from 'node:assert/strict';
import { startFakeLlmProcess, type FakeLlmProcess } from '../../scripts/host/fakeLlmProcess';
import { chatFrame, openBreakwater, startWorkbench, type Workbench } from './support/workbench';

describe('Breakwater e2e: a key from the environment', function () {
  this.timeout(180_000);
  let fake: FakeLlmProcess;
  let wb: Workbench;

  before(async () => {
    fake = await startFakeLlmProcess();
    // The sample workspace's agents.yaml names no endpoint: nothing to confirm.
    wb = await startWorkbench({ fakeLlm: false, env: { ANTHROPIC_API_KEY: 'sk-ant-from-env', ANTHROPIC_BASE_URL: fake.url } });
  });
  after(async () => {
    await wb?.close();
    await fake?.stop();
  });

  it('answers with the environment key and says so in the chat', async () => {
    const enqueue = await fetch(`${fake.url}/__control/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'anthropic', scripts: [{ kind: 'reply', text: 'Hello from the environment key.' }] }) });
    assert.equal(enqueue.status, 200);
    await openBreakwater(wb.page);
    const chat = chatFrame(wb.page);
    const box = chat.locator('textarea');
    await box.waitFor({ timeout: 60_000 });
    await chat.locator('select[aria-label="Agent"] option', { hasText: 'assistant' }).first().waitFor({ state: 'attached', timeout: 30_000 });
    await box.fill('hello');
    await box.press('Enter');
    await chat.locator('.bw-log', { hasText: 'Hello from the environment key.' }).waitFor({ timeout: 30_000 });
    const log = (await chat.locator('.bw-log').innerText()).replace(/\s+/g, ' ');
    assert.match(log, new RegExp(`Using your anthropic key from the environment \\(ANTHROPIC_API_KEY\\); it is sent only to ${fake.url.replace(/[.]/g, '\\.')}`));
    const requests = (await (await fetch(`${fake.url}/__control/requests`)).json()) as { requests: { headers: Record<string, string> }[] };
    assert.match(JSON.stringify(requests.requests[0]?.headers), /sk-ant-from-env/);
  });
});
