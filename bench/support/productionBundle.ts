import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const repoRoot = path.resolve(__dirname, '..', '..');
const outDir = path.join(repoRoot, 'out', 'bench');

/**
 * Loads a source module the way it ships: bundled and minified by esbuild with the options of
 * `esbuild.js --production` (node20, cjs, no `keepNames`). Running the TypeScript through tsx instead
 * would measure tsx's own helpers (it wraps every named function in `__name(...)`), not the product.
 * `entry` is relative to the repository root, e.g. `src/core/resilience/policyRegistry.ts`.
 */
export async function loadProductionModule<T>(entry: string): Promise<T> {
  const outfile = path.join(outDir, `${entry.replace(/[\\/]/g, '_').replace(/\.ts$/, '')}.js`);
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(repoRoot, entry)],
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    logLevel: 'warning',
    legalComments: 'none',
  });
  delete require.cache[outfile];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(outfile) as T;
}
