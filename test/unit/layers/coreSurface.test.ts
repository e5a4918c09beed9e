import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { must } from '../../fixtures/must';

const root = path.resolve(__dirname, '../../..');

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

/** Every module specifier of a file: static imports and exports (type-only included), `import()` and `require()`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const re of [/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g]) {
    for (const m of source.matchAll(re)) if (m[1] !== undefined) found.push(m[1]);
  }
  return found;
}

describe('layers: the extension uses the core through src/core/index.ts only', function () {
  this.timeout(60_000);

  it('no file under src/extension imports a core path other than index', () => {
    const coreDir = path.join(root, 'src', 'core');
    const offenders: string[] = [];
    for (const file of filesUnder(path.join(root, 'src', 'extension'))) {
      for (const spec of specifiers(fs.readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (target.startsWith(coreDir + path.sep) && target !== path.join(coreDir, 'index')) offenders.push(`${path.relative(root, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(offenders, []);
  });

  it('the scanner sees the import forms it must catch', () => {
    assert.deepEqual(specifiers("import type { A } from '../core/runs/events';\nexport { b } from \"../../core/x\";\nconst c = require('../core/y');\nvoid import('../core/z');\nimport '../core/w';\n"), ['../core/runs/events', '../../core/x', '../core/w', '../core/y', '../core/z']);
  });

  it('lint rejects a deep core import in src/extension and accepts the index', async () => {
    // The probe is not a file on disk, so no tsconfig covers it: lint it without type information.
    const eslint = new ESLint({ cwd: root, overrideConfig: tseslint.configs.disableTypeChecked });
    const [deep] = await eslint.lintText("import type { RunEvent } from '../../core/runs/events';\nexport type E = RunEvent;\n", { filePath: path.join(root, 'src/extension/chat/probe.ts') });
    assert.match(must(deep, 'the lint result').messages.map((m) => m.message).join('\n'), /public surface/);
    const [index] = await eslint.lintText("import type { RunEvent } from '../../core/index';\nexport type E = RunEvent;\n", { filePath: path.join(root, 'src/extension/chat/probe.ts') });
    assert.deepEqual(must(index, 'the lint result').messages.filter((m) => /public surface/.test(m.message)), []);
  });
});
