// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Modules that only the VS Code adapters may load. */
const vscodeOnly = {
  paths: [{ name: 'vscode', message: 'Only src/extension/** may import vscode: core, CLI, protocol and webview run without it.' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', 'bench/results.json', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
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
