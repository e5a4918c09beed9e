import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { must } from '../../fixtures/must';

/** The layer rule is a lint error, not a promise: these would break the build. */
describe('lint: vscode stays out of pure layers', function () {
  this.timeout(60_000);
  const root = path.resolve(__dirname, '../../..');
  // The probes are not files on disk, so no tsconfig covers them: lint them without type information
  // (the import rules checked here need none).
  const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });

  const offending: Array<[string, string]> = [
    ['src/core/sandbox/probe.ts', "import * as vscode from 'vscode';\nexport const v = vscode.version;\n"],
    ['src/core/probe.ts', "import type { Uri } from 'vscode';\nexport type U = Uri;\n"],
    ['src/core/probe2.ts', "// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const v = require('vscode');\n"],
    ['src/core/probe3.ts', "export const v = import('vscode');\n"],
    ['src/cli/probe.ts', "import { window } from 'vscode';\nexport const w = window;\n"],
    ['src/webview/probe.ts', "import 'vscode';\n"],
    ['src/protocol/probe.ts', "export * from 'vscode';\n"],
  ];

  for (const [file, code] of offending) {
    it(`rejects vscode in ${file}`, async () => {
      const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
      const messages = must(result, 'the lint result').messages.filter((m) => m.severity === 2).map((m) => m.message).join('\n');
      assert.match(messages, /vscode/, `expected a lint error for ${file}, got: ${messages || 'none'}`);
    });
  }

  it('allows vscode in src/extension', async () => {
    const [result] = await eslint.lintText("import * as vscode from 'vscode';\nexport const v = vscode.version;\n", {
      filePath: path.join(root, 'src/extension/probe.ts'),
    });
    assert.deepEqual(must(result, 'the lint result').messages.filter((m) => /vscode/.test(m.message)), []);
  });
});
