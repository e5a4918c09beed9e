// @ts-check
/**
 * One build for the four bundles Breakwater ships:
 *  - dist/extension.js      the VS Code extension host entry: views, commands, tree, status bar only
 *                           (node, cjs, `vscode` external). Activation compiles just this, so it must
 *                           stay free of the core, zod and the SDKs — checked after every build.
 *  - dist/extensionCore.js  CoreSession (the one object that owns the core), the chat controller and the commands' implementations,
 *                           required by extension.js on first real use
 *  - dist/cli.js            the headless CLI (node, cjs, with a shebang)
 *  - dist/webview.js        the chat view's browser bundle (iife)
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
  // The shell parser (mvdan/sh compiled to JavaScript), required from dist/ on first use by src/core/sandbox/shellParser.ts
  // so its 1.5 MB never weighs on activation or on the CLI's start.
  ['node_modules/mvdan-sh/index.js', 'dist/mvdan-sh.js'],
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

/**
 * zod 4 exports every locale (`z.locales`, ~260 KB minified) and registers only English, the one
 * Breakwater's messages use. Resolve zod's own `../locales/index.js` to a module with just `en`, so
 * the bundles stop shipping (and the host stops compiling) the other forty-odd.
 * @type {import('esbuild').Plugin}
 */
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer)) return undefined;
      return { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' };
    });
    build.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(path.join(path.dirname(args.path), 'en.js'))};`,
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};

/**
 * `import('./extensionCore')` in the thin bundle stays a `require` of the separate bundle next to it
 * (dist/extensionCore.js) instead of being inlined.
 * @type {import('esbuild').Plugin}
 */
const coreBundleExternal = {
  name: 'core-bundle-external',
  setup(build) {
    build.onResolve({ filter: /^\.\/extensionCore$/ }, () => ({ path: './extensionCore.js', external: true }));
  },
};

/**
 * What the thin activation bundle must never contain: each is either slow to compile and run at
 * require time, or pulls in the whole core. A match fails the build with the chain of imports.
 */
const NOT_IN_ACTIVATION = [/node_modules[\\/]zod[\\/]/, /node_modules[\\/](@anthropic-ai|openai|ollama|cockatiel|yaml|diff|mvdan-sh|ignore)[\\/]/, /^src[\\/]core[\\/]/, /^src[\\/]protocol[\\/]/];

/** @param {import('esbuild').Metafile} metafile */
function checkActivationBundle(metafile) {
  const importers = new Map();
  for (const [file, input] of Object.entries(metafile.inputs)) for (const i of input.imports) if (!i.external) importers.set(i.path, file);
  const chain = (file) => {
    const out = [file];
    for (let f = importers.get(file); f !== undefined && out.length < 12; f = importers.get(f)) out.push(f);
    return out.reverse().join(' → ');
  };
  // Our own files first: they are the imports to fix.
  const bad = Object.keys(metafile.inputs).filter((f) => NOT_IN_ACTIVATION.some((re) => re.test(f))).sort((a, b) => Number(a.includes('node_modules')) - Number(b.includes('node_modules')));
  if (bad.length > 0) {
    throw new Error(`dist/extension.js (the activation bundle) must not contain the core, zod or an SDK; it imports:\n  ${bad.slice(0, 5).map(chain).join('\n  ')}\nUse \`import type\`, or move the code into the lazily loaded extensionCore bundle.`);
  }
}

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  legalComments: 'none',
  plugins: watch ? [problemMatcher, zodEnglishOnly] : [zodEnglishOnly],
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
    plugins: [...(common.plugins ?? []), coreBundleExternal],
    // `import()` of the core bundle becomes a plain `require` (the extension host's loader, which
    // provides `vscode` to the core bundle too), not an ES module import.
    supported: { 'dynamic-import': false },
    metafile: true,
  },
  {
    ...common,
    entryPoints: ['src/extension/extensionCore.ts'],
    outfile: 'dist/extensionCore.js',
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
  const results = await Promise.all(bundles.map((b) => esbuild.build(b)));
  const thin = results[0].metafile;
  if (thin) checkActivationBundle(thin);
  fs.chmodSync('dist/cli.js', 0o755);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
