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

/** The layer zones inside src/core: an upward import (type-only too) is a lint error where it is written. */
describe('lint: the layers of src/core', function () {
  this.timeout(60_000);
  const root = path.resolve(__dirname, '../../..');
  const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });
  const layerErrors = async (file: string, code: string): Promise<string[]> => {
    const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
    return must(result, 'the lint result').messages.filter((m) => /is layer \d/.test(m.message)).map((m) => m.message);
  };

  const cases: Array<[string, string, boolean]> = [
    ['src/core/common/probe.ts', "import type { ChatMessage } from '../providers/types';\nexport type M = ChatMessage;\n", true],
    ['src/core/config/probe.ts', "import type { ToolOutcome } from '../tools/types';\nexport type O = ToolOutcome;\n", true],
    ['src/core/tools/probe.ts', "import { fold } from '../runs/fold';\nexport const f = fold;\n", true],
    ['src/core/agents/probe.ts', "import { createBreakwater } from '../breakwater';\nexport const c = createBreakwater;\n", true],
    ['src/core/agents/probe2.ts', "import { x } from '../../extension/x';\nexport const y = x;\n", true],
    ['src/core/tools/probe2.ts', "import { allow } from '../sandbox/decisions';\nexport const a = allow;\n", false],
    ['src/core/config/probe2.ts', "import { TOOL_NAMES } from '../tools/registry';\nexport const t = TOOL_NAMES;\n", false],
  ];
  for (const [file, code, refused] of cases) {
    it(`${refused ? 'rejects' : 'allows'} ${code.split('\n')[0]} in ${file}`, async () => {
      const errors = await layerErrors(file, code);
      assert.equal(errors.length > 0, refused, errors.join('\n') || 'no layer error');
    });
  }
});
