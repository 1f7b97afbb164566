// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.scratch/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The web console runs in the browser (compiled by cloud/ui/tsconfig.json); the `globals` package
    // is not a dependency, so the browser globals it uses are named here.
    files: ['cloud/ui/src/**/*.ts'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'location',
          'history',
          'navigator',
          'sessionStorage',
          'devicePixelRatio',
          'fetch',
          'Response',
          'Headers',
          'URLSearchParams',
          'AbortController',
          'AbortSignal',
          'ResizeObserver',
          'HashChangeEvent',
          'Event',
          'KeyboardEvent',
          'SubmitEvent',
          'Node',
          'HTMLElement',
          'HTMLAnchorElement',
          'HTMLButtonElement',
          'HTMLFormElement',
          'HTMLInputElement',
          'HTMLSelectElement',
          'HTMLTextAreaElement',
          'HTMLTableRowElement',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'clearInterval',
          'console',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
);
