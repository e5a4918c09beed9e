// @ts-check
/**
 * One build for the three bundles Breakwater ships:
 *  - dist/extension.js  the VS Code extension host entry (node, cjs, `vscode` external)
 *  - dist/cli.js        the headless CLI (node, cjs, with a shebang)
 *  - dist/webview.js    the chat view's browser bundle (iife)
 * Type-checking is its own step (`npm run typecheck`); esbuild only transpiles.
 *
 *   node esbuild.js               development build with sourcemaps
 *   node esbuild.js --production  minified, no sourcemaps
 *   node esbuild.js --watch       rebuild on change
 */
const esbuild = require('esbuild');
const fs = require('node:fs');
const path = require('node:path');

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Files the bundles load at run time that esbuild cannot inline. */
const assets = [
  // The shell parser (mvdan/sh compiled to WebAssembly) used by the sandbox's command policy.
  ['node_modules/sh-syntax/main.wasm', 'dist/main.wasm'],
  ['node_modules/@vscode/codicons/dist/codicon.css', 'dist/codicons/codicon.css'],
  ['node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/codicons/codicon.ttf'],
];

function copyAssets() {
  for (const [from, to] of assets) {
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(from, to);
  }
}

/** @type {import('esbuild').Plugin} */
const problemMatcher = {
  name: 'esbuild-problem-matcher',
  setup(build) {
    build.onStart(() => console.log('[watch] build started'));
    build.onEnd((result) => {
      for (const { text, location } of result.errors) {
        console.error(`✘ [ERROR] ${text}`);
        if (location) console.error(`    ${location.file}:${location.line}:${location.column}:`);
      }
      console.log('[watch] build finished');
    });
  },
};

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
  plugins: watch ? [problemMatcher] : [],
};

/** @type {import('esbuild').BuildOptions[]} */
const bundles = [
  {
    ...common,
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
  },
  {
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    ...common,
    entryPoints: ['src/webview/main.ts'],
    outfile: 'dist/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'chrome120',
  },
];

/** A production build must not ship source maps left behind by an earlier development build. */
function removeStaleSourceMaps() {
  if (!fs.existsSync('dist')) return;
  for (const f of fs.readdirSync('dist')) if (f.endsWith('.map')) fs.rmSync(path.join('dist', f));
}

async function main() {
  if (production) removeStaleSourceMaps();
  copyAssets();
  if (watch) {
    const contexts = await Promise.all(bundles.map((b) => esbuild.context(b)));
    await Promise.all(contexts.map((c) => c.watch()));
    return;
  }
  await Promise.all(bundles.map((b) => esbuild.build(b)));
  fs.chmodSync('dist/cli.js', 0o755);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
