// ESLint flat config: typescript-eslint's type-checked rule sets over src/ and test/; formatting is Prettier's
// (eslint-config-prettier turns off the rules it would fight with).
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'node_modules/', '.bench/', 'test/fixtures/'] },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js', 'test/support/ts-loader.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // No `any`, in the wire layer least of all: decoded values are `unknown` or `SaltValue` until checked.
      '@typescript-eslint/no-explicit-any': 'error',
      // Wire maps (index signatures) are read as `load['cmd']`, declared fields as `x.cmd`: keep that distinction.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // `T[]` for simple element types, `Array<…>` for unions, tuples and object literals.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // `async` without `await` is deliberate: Fastify tells promise-style hooks and handlers from callback-style
      // ones by it, and it turns a throw into a rejection where an interface wants a Promise.
      '@typescript-eslint/require-await': 'off',
      // `||` on strings is Python's truthiness on purpose: an empty value counts as unset, as it does in salt-api.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // A `() => {}` no-op (a default callback, a swallowed rejection) says what it means.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // Passing on what we were handed (an AbortSignal's reason, a caught value), as only-throw-error allows.
      '@typescript-eslint/prefer-promise-reject-errors': [
        'error',
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // `const { cmd: _cmd, ...rest } = load` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // The sanitisers match control characters on purpose (header values, SSE lines, minion ids, hook tags).
      'no-control-regex': 'off',
    },
  },
  {
    // The size limits: a module has one job, a test file tests one thing (split by `describe`).
    files: ['src/**/*.ts', 'test/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // A function does one step. Tests are not held to it: a `describe` is as long as its cases.
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Vitest's asymmetric matchers (expect.any, expect.stringContaining…) are typed `any` by design; a test
      // writes them as object values all the time.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
  {
    // Prettier wraps code at 120 columns but not comments or long literals; hold comments to the same width.
    rules: {
      'max-len': [
        'error',
        { code: 120, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true },
      ],
    },
  },
);
