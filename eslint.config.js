import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const SDKS = ['@google-cloud/*', 'better-sqlite3', 'onnxruntime-node', 'pdfjs-dist', 'pdfjs-dist/*', 'tesseract.js',
  'sharp', '@napi-rs/canvas', 'pino', 'chokidar', 'commander', 'cli-progress', 'node:fs', 'node:fs/promises', 'fs',
  'node:child_process', 'node:http', 'node:net', 'node:worker_threads'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'coverage/', 'reports/', '.ledgerx/', 'functions/web/static/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], languageOptions: { globals: globals.node } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // The core is pure: no SDK, no adapter, no platform code, no I/O, no process.env.
    files: ['functions/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: SDKS, message: 'functions/core must not import SDKs or I/O modules: take a port instead.' },
          { group: ['**/adapters/**', '**/platform/**', '**/cli/**'], message: 'functions/core must not import adapters, platform or cli code.' },
        ],
      }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Config comes in through arguments, never process.env.' }],
    },
  },
);
