/**
 * The three ways people use Breakwater, clicked through the real workbench in Chromium against the fake LLM server:
 * chat in the sidebar, an agent action from the Command Palette, and inline approvals (a file change approved after
 * viewing its diff, another rejected, a shell command approved). Each step leaves a screenshot in test-results/.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import { chatFrame, openBreakwater, runCommandFromPalette, screenshot, startWorkbench, type Workbench } from './support/workbench';

const openaiKey = 'sk-e2e-fake-key';

async function enqueue(url: string, scripts: unknown[]): Promise<void> {
  const res = await fetch(`${url}/__control/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'openai', scripts }) });
  assert.equal(res.status, 200, `fake LLM enqueue: ${await res.text()}`);
}

function agentsYaml(url: string): string {
  return [
    'settings:',
    '  default_provider: openai',
    '  default_model: gpt-4o-mini',
    '  max_retries: 0',
    '  budget_usd: 5',
    'providers:',
    `  openai: { base_url: "${url}/v1" }`,
    'agents:',
    '  assistant:',
    '    role: "You are a helpful assistant working in this small TypeScript project."',
    '    provider: openai',
    '    model: gpt-4o-mini',
    '    tools: [read, write, edit, list_dir, glob, grep, bash]',
    '  reviewer:',
    '    role: "You review code."',
    '    provider: openai',
    '    model: gpt-4o-mini',
    '    tools: [read, grep, glob]',
  ].join('\n') + '\n';
}

/** Quick input: type into it and accept (the palette's pickers and input boxes). */
async function answerQuickInput(page: Page, text: string, rowText?: string): Promise<void> {
  const input = page.locator('.quick-input-widget input:visible');
  await input.waitFor();
  await input.fill(text);
  if (rowText) await page.locator('.quick-input-list .monaco-list-row', { hasText: rowText }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function clearNotifications(page: Page): Promise<void> {
  await runCommandFromPalette(page, 'Notifications: Clear All Notifications');
}

/** A full-window screenshot, plus the Breakwater side bar alone (`<name>-sidebar.png`, what the README shows). */
async function shoot(page: Page, name: string): Promise<void> {
  const file = await screenshot(page, name);
  const box = await page.locator('.part.sidebar').boundingBox();
  if (box) await page.screenshot({ path: file.replace(/\.png$/, '-sidebar.png'), clip: { x: 0, y: 0, width: Math.ceil(box.x + box.width), height: Math.ceil(box.y + box.height) } });
}

/** The text of the conversation log in the chat webview. */
async function conversation(chat: FrameLocator): Promise<string> {
  return (await chat.locator('.bw-log').innerText()).replace(/\s+/g, ' ');
}

describe('Breakwater e2e: chat, palette and approvals in Chromium', function () {
  this.timeout(240_000);
  let wb: Workbench;
  let chat: FrameLocator;

  before(async () => {
    wb = await startWorkbench();
    assert.ok(wb.fakeLlmUrl, 'the e2e tier starts the fake LLM server');
    fs.mkdirSync(path.join(wb.workspace, '.breakwater'), { recursive: true });
    fs.writeFileSync(path.join(wb.workspace, '.breakwater', 'agents.yaml'), agentsYaml(wb.fakeLlmUrl));
    await openBreakwater(wb.page);
    chat = chatFrame(wb.page);
    await chat.locator('textarea').waitFor({ timeout: 60_000 });
    await chat.locator('select[aria-label="Agent"] option', { hasText: 'assistant' }).first().waitFor({ state: 'attached', timeout: 30_000 });
    // The key goes in the way a user puts it: Set API Key, pick the provider and the address it is for (the official
    // one), type the key (a password box). The workspace's endpoint gets it only once the user allows that endpoint.
    await runCommandFromPalette(wb.page, 'Breakwater: Set API Key');
    await answerQuickInput(wb.page, 'openai', 'openai');
    await answerQuickInput(wb.page, 'https://api.openai.com', 'https://api.openai.com');
    await answerQuickInput(wb.page, openaiKey);
    await clearNotifications(wb.page);
  });

  after(() => wb?.close());

  it('chat in the sidebar: type a question and see the streamed answer', async () => {
    await enqueue(wb.fakeLlmUrl!, [
      {
        kind: 'reply',
        text: 'The `greet` function lives in **src/greet.ts**:\n\n```ts\nexport function greet(name: string): string {\n  return `Hello, ${name}!`;\n}\n```\n\nIt returns a greeting for the name it is given.',
        chunkSize: 8,
        tokenDelayMs: 15,
        usage: { input: 250, output: 60 },
      },
    ]);
    const box = chat.locator('textarea');
    await box.click();
    await box.fill('Where is greet defined?');
    await box.press('Enter');
    // The workspace's agents.yaml names an endpoint: before anything is sent, a modal names the file, the key and the value.
    const modal = wb.page.locator('.monaco-dialog-box', { hasText: 'Send your OpenAI key and prompts to' });
    await modal.waitFor({ timeout: 30_000 });
    const asked = await modal.innerText();
    assert.match(asked, new RegExp(`Send your OpenAI key and prompts to ${wb.fakeLlmUrl!.replace(/[.]/g, '\\.')}/v1\\?`));
    assert.match(asked, /\.breakwater\/agents\.yaml, line 7 sets providers\.openai\.base_url = /);
    await screenshot(wb.page, 'confirm-workspace-endpoint');
    await modal.getByRole('button', { name: 'Allow', exact: true }).click();
    await chat.locator('.bw-log', { hasText: 'It returns a greeting for the name it is given.' }).waitFor({ timeout: 30_000 });
    await chat.locator('.bw-log pre code').first().waitFor();
    const text = await conversation(chat);
    assert.match(text, /Where is greet defined\?/);
    assert.match(text, /src\/greet\.ts/);
    assert.equal(await chat.locator('.bw-log script').count(), 0);
    // The chat says where the key came from, and the fake server got it.
    assert.match(text, /Using your openai key from SecretStorage, allowed for http:\/\/127\.0\.0\.1:\d+ when you confirmed providers\.openai\.base_url/);
    await shoot(wb.page, 'chat-streamed-answer');
  });

  it('a command-palette agent action: Ask Agent… picks the agent, then the prompt, and answers in the chat', async () => {
    await enqueue(wb.fakeLlmUrl!, [{ kind: 'reply', text: 'Review: greet is small, typed and clear. Consider trimming the name.', chunkSize: 10, usage: { input: 90, output: 20 } }]);
    await runCommandFromPalette(wb.page, 'Breakwater: Ask Agent…');
    await answerQuickInput(wb.page, 'reviewer', 'reviewer');
    await answerQuickInput(wb.page, 'Review src/greet.ts');
    await chat.locator('.bw-log', { hasText: 'Consider trimming the name.' }).waitFor({ timeout: 30_000 });
    assert.match(await conversation(chat), /Review src\/greet\.ts/);
    const atEnd = await chat.locator('.bw-log').evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight < 24);
    assert.ok(atEnd, 'the log follows the streamed answer to its end');
    await shoot(wb.page, 'palette-ask-agent');
  });

  it('approves a file change after viewing its diff, rejects another, and approves a shell command', async () => {
    await chat.getByRole('button', { name: 'New chat' }).click();
    await enqueue(wb.fakeLlmUrl!, [
      { kind: 'reply', toolCalls: [{ id: 'call_write_ok', name: 'write', args: { path: 'src/strings.ts', content: 'export function reverse(s: string): string {\n  return [...s].reverse().join(\'\');\n}\n' } }] },
      { kind: 'reply', toolCalls: [{ id: 'call_write_no', name: 'write', args: { path: 'src/secret-plan.ts', content: 'export const plan = 1;\n' } }] },
      { kind: 'reply', toolCalls: [{ id: 'call_bash', name: 'bash', args: { command: 'ls src | wc -l' } }] },
      { kind: 'reply', text: 'Added `reverse` to src/strings.ts and counted the files in src.' },
    ]);
    const box = chat.locator('textarea');
    await box.fill('Add a reverse function to src/strings.ts');
    await box.press('Enter');

    // 1. A write: View Diff opens VS Code's diff editor, then Approve.
    const firstCard = chat.locator('.bw-approval', { hasText: 'strings.ts' });
    await firstCard.waitFor({ timeout: 30_000 });
    assert.equal(fs.existsSync(path.join(wb.workspace, 'src', 'strings.ts')), false, 'nothing written before Approve');
    await firstCard.getByRole('button', { name: /View Diff/i }).click();
    await wb.page.locator('.monaco-diff-editor').first().waitFor({ timeout: 20_000 });
    await screenshot(wb.page, 'approval-view-diff');
    await shoot(wb.page, 'approval-write');
    await firstCard.getByRole('button', { name: /^Approve$/ }).click();
    await runCommandFromPalette(wb.page, 'View: Close All Editors');

    // 2. Another write: rejected with a reason.
    const secondCard = chat.locator('.bw-approval', { hasText: 'secret-plan.ts' });
    await secondCard.waitFor({ timeout: 30_000 });
    assert.equal(fs.readFileSync(path.join(wb.workspace, 'src', 'strings.ts'), 'utf8').includes('reverse'), true, 'the approved write is on disk');
    await secondCard.getByRole('textbox', { name: 'Reason for rejecting' }).fill('no new files for plans');
    await shoot(wb.page, 'approval-reject');
    await secondCard.getByRole('button', { name: /^Reject$/ }).click();

    // 3. A shell command: its parsed subcommands are shown; Approve runs it.
    const bashCard = chat.locator('.bw-approval', { hasText: 'ls src' });
    await bashCard.waitFor({ timeout: 30_000 });
    assert.equal(fs.existsSync(path.join(wb.workspace, 'src', 'secret-plan.ts')), false, 'the rejected write never reaches the disk');
    await shoot(wb.page, 'approval-shell-command');
    await bashCard.getByRole('button', { name: /^Approve$/ }).click();

    await chat.locator('.bw-log', { hasText: 'counted the files in src' }).waitFor({ timeout: 30_000 });
    const text = await conversation(chat);
    assert.match(text, /Approved/);
    assert.match(text, /Rejected/);
    await shoot(wb.page, 'approvals-done');
  });
});
