// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that only the VS Code adapters may load. */
const vscodeOnly = {
  paths: [{ name: 'vscode', message: 'Only src/extension/** may import vscode: core, CLI, protocol and webview run without it.' }],
};

/**
 * The layers of src/core, lowest first: a directory imports only lower layers (docs/ARCHITECTURE.md). The lint
 * zone gives the editor's squiggle; test/unit/layers/importGraph.test.ts is the full check (cycles included).
 */
const CORE_LAYERS = [['common'], ['store'], ['config'], ['providers', 'state', 'sandbox'], ['tools'], ['runs'], ['cost'], ['resilience'], ['agents']];
/** Upward imports that are known and listed in the graph test, with its reason. */
const KNOWN_UPWARD = { config: ['!../tools/registry'] };
const layerZones = CORE_LAYERS.flatMap((dirs, rank) =>
  dirs.map((dir) => ({
    files: [`src/core/${dir}/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', {
        ...vscodeOnly,
        patterns: [{
          group: [
            ...CORE_LAYERS.slice(rank).flat().filter((d) => d !== dir).map((d) => `../${d}/*`),
            ...(KNOWN_UPWARD[dir] ?? []),
            // The files directly in src/core sit on top; everything outside src/core is off limits.
            '../breakwater',
            '../index',
            '../../*',
          ],
          message: `src/core/${dir} is layer ${rank}: it imports only lower layers (docs/ARCHITECTURE.md, "Layers inside src/core").`,
        }],
      }],
    },
  })),
);

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'bench/results.json', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      // Each file is checked with the tsconfig that covers it: tsconfig.json (src, test, scripts, bench) or
      // src/webview/tsconfig.json (the browser bundle).
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // Off: an \`async\` function without \`await\` is how a Promise-returning interface (a provider, a test
      // double, a state backend) turns a synchronous throw into a rejection; removing \`async\` would change that.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // The layer rule: pure code never imports vscode (not even for types), so it runs in the CLI and in plain-Node tests.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts', 'src/protocol/**/*.ts', 'src/webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', vscodeOnly],
      '@typescript-eslint/no-restricted-imports': ['error', vscodeOnly],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.name='require'][arguments.0.value='vscode']",
        message: 'Only src/extension/** may require vscode.',
      }, {
        selector: "ImportExpression[source.value='vscode']",
        message: 'Only src/extension/** may import vscode.',
      }],
    },
  },
  ...layerZones,
  {
    // Tests, benchmarks and scripts read JSON a process printed (JSON.parse gives \`any\`) and assert on its
    // fields: a wrong field fails the assertion, so typing every parsed output would add casts, not safety.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (build scripts, bench workers) is not in a tsconfig: lint it without type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The extension reaches the core through its public surface only (src/core/index.ts); test/unit/layers checks it too.
    files: ['src/extension/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['../core/*', '../../core/*', '../../../core/*', '!../core/index', '!../../core/index', '!../../../core/index'], message: "The extension uses the core's public surface only: import from src/core/index.ts (add what is missing there)." }] }],
      '@typescript-eslint/no-restricted-imports': ['error', { patterns: [{ group: ['../core/*', '../../core/*', '../../../core/*', '!../core/index', '!../../core/index', '!../../../core/index'], message: "The extension uses the core's public surface only: import from src/core/index.ts (add what is missing there)." }] }],
    },
  },
);
