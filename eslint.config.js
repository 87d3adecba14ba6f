// One linter for the whole tree; type-aware rules catch promises nobody awaits,
// the bug that leaves executions "running" when a rejection is lost.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

/**
 * The web may import from src/ only what is in src/contract/: anything else can drag server-only
 * modules (node:*, the database, the runner) into the browser bundle with nothing to stop it.
 */
const WEB_REACHES_PAST_CONTRACT = {
  regex: '^(\\.\\./)+src/(?!contract/)',
  message: 'The web imports from src/ only src/contract/ (pure code shared with the server and the CLI).',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.baton/', 'coverage/', 'test-output/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['web/**/*.tsx', 'web/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // The contract is the ground floor: the server, the CLI and the web all import it, so it imports
    // nothing of theirs and nothing only Node has (npm packages such as zod or re2js are fine).
    // It is one flat folder, so any `../` leaves it.
    files: ['src/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(node:|(${builtinModules.join('|')})(/|$))`,
              message: 'src/contract/ runs in the browser too: no Node built-ins.',
            },
            {
              regex: '^\\.\\./',
              message:
                'src/contract/ imports nothing outside src/contract/; move the shared code in instead.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['web/src/**/*.ts', 'web/src/**/*.tsx'],
    rules: { 'no-restricted-imports': ['error', { patterns: [WEB_REACHES_PAST_CONTRACT] }] },
  },
);
