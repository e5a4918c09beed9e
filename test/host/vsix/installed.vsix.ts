/** The packaged .vsix, installed with `--install-extension` into a real VS Code, activates and works. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { contributedCommands } from '../support/extension';

describe('Breakwater installed from the .vsix', () => {
  const ext = () => {
    const found = vscode.extensions.getExtension('breakwater.breakwater');
    assert.ok(found, 'breakwater.breakwater is not installed: did --install-extension fail?');
    return found;
  };

  it('is installed in the extensions dir, not loaded from the checkout', () => {
    const extensionPath = ext().extensionPath;
    assert.ok(process.env.BREAKWATER_VSIX_EXTENSIONS_DIR, 'the harness passes the extensions dir in BREAKWATER_VSIX_EXTENSIONS_DIR');
    assert.ok(
      extensionPath.startsWith(process.env.BREAKWATER_VSIX_EXTENSIONS_DIR + path.sep),
      `expected the extension under ${process.env.BREAKWATER_VSIX_EXTENSIONS_DIR}, found it at ${extensionPath}`,
    );
  });

  it('ships the bundles and no sources', () => {
    const root = ext().extensionPath;
    assert.ok(fs.existsSync(path.join(root, 'dist', 'extension.js')), 'dist/extension.js is missing from the package');
    assert.ok(fs.existsSync(path.join(root, 'dist', 'webview.js')), 'dist/webview.js is missing from the package');
    for (const unwanted of ['src', 'test', 'node_modules']) {
      assert.equal(fs.existsSync(path.join(root, unwanted)), false, `${unwanted}/ must not be in the package`);
    }
  });

  it('activates', async () => {
    await ext().activate();
    assert.equal(ext().isActive, true);
  });

  it('registers every contributed command', async () => {
    await ext().activate();
    const registered = new Set(await vscode.commands.getCommands(true));
    const commands = contributedCommands().map((c) => c.command);
    assert.ok(commands.length > 0, 'the packaged manifest contributes no commands');
    assert.deepEqual(commands.filter((c) => !registered.has(c)), []);
  });

  it('opens its chat and status views', async () => {
    await ext().activate();
    await vscode.commands.executeCommand('breakwater.chat.focus');
    await vscode.commands.executeCommand('breakwater.status.focus');
  });
});
