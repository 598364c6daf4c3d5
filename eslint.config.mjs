// One ESLint run over the whole workspace: `pnpm lint` runs it once at the root rather than once per
// package, because the type-aware rules build a TypeScript program per package and one run shares them.
// Type information comes from each package's tsconfig.json (src, test and bench) through the project service.
import tseslint from 'typescript-eslint';

const unusedVars = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }];

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/dist-bench/**', '**/coverage/**', '**/temp/**', '**/.turbo/**', '.tools/**', '**/*.d.ts', 'apps/packaging/fixtures/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // The promise rules are why this linter runs: a promise nobody awaits or catches is a lost error.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // `return promise` inside try/catch skips the catch; elsewhere a bare return is fine.
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      // An async function that implements a Promise-returning seam need not await anything.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught error or an abort reason (typed unknown) is not inventing a non-Error.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/no-unused-vars': unusedVars,
      // Packages without type declarations are loaded with require() and typed where they are used.
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^aws-kinesis-agg$', '^kinesalite$', '^dynalite$', '/scripts/check-deps\\.cjs$'] }],
    },
  },
  {
    // Jest's asymmetric matchers (expect.any, expect.objectContaining) are typed any, tests read JSON.parse
    // results field by field, and expect(object.method) compares a method without calling it.
    files: ['**/test/**/*.ts', '**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.recommended],
    rules: {
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': unusedVars,
    },
  },
);
