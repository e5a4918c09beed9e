/**
 * Reusable pieces for e2e tests: a real VS Code workbench (code-server + headless Debian Chromium) with Breakwater
 * loaded from this checkout (extensionDevelopmentPath), on a throw-away copy of the sample workspace.
 *
 *   let wb: Workbench;
 *   before(async () => { wb = await startWorkbench(); await openBreakwater(wb.page); });
 *   after(() => wb?.close());
 *   it('…', async () => { const chat = chatFrame(wb.page); await chat.getByRole('textbox').fill('hi'); … });
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../../scripts/host/chromium';
import { repoRoot, startCodeServer, type CodeServer } from '../../../scripts/host/codeServer';
import { fakeLlmAvailable, fakeLlmEnvVar, startFakeLlmProcess, type FakeLlmProcess } from '../../../scripts/host/fakeLlmProcess';

export const resultsDir = path.join(repoRoot, 'test-results');

export interface WorkbenchOptions {
  /** Folder copied and opened. Default: test/fixtures/sample-workspace. */
  readonly workspaceSource?: string;
  /** Start the fake LLM server and pass its URL as BREAKWATER_FAKE_LLM_URL. Default: true when it exists. */
  readonly fakeLlm?: boolean;
  /** Extra environment for code-server and the extension host. */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep Restricted Mode on (leaves out --disable-workspace-trust). Default: false. */
  readonly keepWorkspaceTrust?: boolean;
  /** Browser viewport. Default: 1400×900. */
  readonly viewport?: { width: number; height: number };
}

export interface Workbench {
  readonly page: Page;
  readonly browser: Browser;
  readonly server: CodeServer;
  /** The workspace copy code-server opened (files tests create or edit land here, never in the fixture). */
  readonly workspace: string;
  /** The fake LLM server's base URL, when started. */
  readonly fakeLlmUrl: string | undefined;
  close(): Promise<void>;
}

/** Workbenches still open: the root hooks screenshot them when a test fails and close them at the end. */
export const openWorkbenches = new Set<Workbench>();

/** Starts code-server with Breakwater loaded, opens it in Chromium and waits until the workbench is ready. */
export async function startWorkbench(options: WorkbenchOptions = {}): Promise<Workbench> {
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    openWorkbenches.delete(workbench);
    for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error('e2e cleanup:', e));
    stops.length = 0;
  };
  let workbench!: Workbench;
  try {
    // The user scope is the test's, never the machine user's own agents file.
    const env: Record<string, string> = { BREAKWATER_USER_CONFIG: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bw-e2e-user-')), 'agents.yaml'), ...options.env };
    let fake: FakeLlmProcess | undefined;
    if (options.fakeLlm ?? fakeLlmAvailable()) {
      fake = await startFakeLlmProcess();
      stops.push(() => fake!.stop());
      env[fakeLlmEnvVar] = fake.url;
    }
    const server = await startCodeServer({ env, keepWorkspaceTrust: options.keepWorkspaceTrust ?? false });
    stops.push(() => server.stop());
    const browser = await launchChromium();
    stops.push(() => browser.close());
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    await page.goto(server.urlWithPayload([['extensionDevelopmentPath', server.remoteUri(repoRoot)]]));
    await page.locator('.monaco-workbench .activitybar').waitFor({ timeout: 60_000 });
    workbench = { page, browser, server, workspace: server.workspace, fakeLlmUrl: fake?.url, close };
    openWorkbenches.add(workbench);
    return workbench;
  } catch (e) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw e;
  }
}

/** The Breakwater icon in the activity bar. */
export function breakwaterActivity(page: Page): Locator {
  return page.locator('.activitybar a.action-label[aria-label^="Breakwater"]');
}

/** The Breakwater side bar (view container `workbench.view.extension.breakwater`). */
export function breakwaterSidebar(page: Page): Locator {
  return page.locator('.part.sidebar').filter({ has: page.locator('.composite.title h2', { hasText: /breakwater/i }) });
}

/** Opens the Breakwater view container (once the extension contributed it) and waits for its side bar. */
export async function openBreakwater(page: Page): Promise<Locator> {
  const icon = breakwaterActivity(page);
  await icon.waitFor({ timeout: 60_000 });
  const tab = page.locator('.activitybar li.action-item:has(a.action-label[aria-label^="Breakwater"])');
  if ((await tab.getAttribute('aria-selected')) !== 'true') {
    await icon.click();
    await page.mouse.move(700, 450); // so the icon's hover tooltip is not in screenshots
  }
  const sidebar = breakwaterSidebar(page);
  await sidebar.waitFor({ timeout: 30_000 });
  return sidebar;
}

/** The header of a view in the Breakwater side bar ("Chat", "Status"). */
export function viewHeader(page: Page, name: string): Locator {
  return breakwaterSidebar(page).locator('.pane-header').filter({ has: page.locator('h3.title', { hasText: new RegExp(`^${name}$`, 'i') }) });
}

/** The body of a view pane in the Breakwater side bar. */
export function viewPane(page: Page, name: string): Locator {
  return breakwaterSidebar(page).locator('.pane').filter({ has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${name}$`, 'i') }) });
}

/**
 * The chat webview's document. VS Code nests it twice: an outer `iframe.webview` (the host page) holds
 * `iframe#active-frame` (the extension's HTML).
 */
export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').first().frameLocator('iframe#active-frame');
}

/** Saves a PNG under test-results/ and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(resultsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
  fs.mkdirSync(resultsDir, { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

/** Runs a command through the Command Palette, as a user would (F1, type the title, Enter). */
export async function runCommandFromPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor();
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}
