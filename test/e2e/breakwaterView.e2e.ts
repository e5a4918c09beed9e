/** A user opens Breakwater from the activity bar of a real VS Code and sees its chat and status views. */
import * as assert from 'node:assert/strict';
import { chatFrame, openBreakwater, screenshot, startWorkbench, viewHeader, viewPane, type Workbench } from './support/workbench';

describe('the Breakwater view in the real workbench', () => {
  let wb: Workbench;
  before(async () => {
    wb = await startWorkbench();
  });
  after(() => wb?.close());

  it('opens from the activity bar with the Chat and Status views', async () => {
    const sidebar = await openBreakwater(wb.page);
    await viewHeader(wb.page, 'Chat').waitFor();
    await viewHeader(wb.page, 'Status').waitFor();
    assert.match((await sidebar.locator('.composite.title h2').textContent()) ?? '', /breakwater/i);
  });

  it('renders the chat webview', async () => {
    await openBreakwater(wb.page);
    // #app is in the HTML the extension serves; its children only exist once dist/webview.js ran inside the frame.
    const rendered = chatFrame(wb.page).locator('#app > *').first();
    await rendered.waitFor({ state: 'visible', timeout: 30_000 });
    assert.ok((await chatFrame(wb.page).locator('#app *').count()) > 0);
  });

  it('shows the Status tree', async () => {
    await openBreakwater(wb.page);
    const status = viewPane(wb.page, 'Status');
    if ((await viewHeader(wb.page, 'Status').getAttribute('aria-expanded')) !== 'true') await viewHeader(wb.page, 'Status').click();
    // Either the tree with its rows or the welcome text that tells a first-time user what to do.
    const content = status.locator('.monaco-list[role="tree"] .monaco-list-row, .welcome-view-content');
    await content.first().waitFor({ timeout: 30_000 });
    assert.ok((await content.count()) > 0);
  });

  it('leaves a screenshot of the Breakwater view', async () => {
    await openBreakwater(wb.page);
    await chatFrame(wb.page).locator('#app > *').first().waitFor({ state: 'visible' });
    const file = await screenshot(wb.page, 'breakwater-view');
    assert.ok(file.endsWith('.png'));
  });
});
