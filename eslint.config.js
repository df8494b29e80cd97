// ESLint: type-aware checks for the whole project (promises that nobody awaits are the bug that
// costs most in a Temporal codebase), plus the determinism rules for code that runs inside the
// workflow sandbox. `npm run lint`; `npm test` runs it.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

/** Node built-ins, with and without the `node:` prefix: no I/O in workflow code. */
const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

/**
 * Rules for code the worker bundles into the workflow sandbox: workflows/ and the pure domain/
 * modules they import. Exported so tests/lint.test.ts can show each rule firing.
 */
export const workflowDeterminism = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code does no I/O: put it in an activity.' })),
      patterns: [
        {
          group: ['**/activities/**', '**/activities'],
          allowTypeImports: true,
          message: 'Workflows call activities through proxyActivities; import their types only (`import type`).',
        },
      ],
    },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Not deterministic on replay: use uuid4() from @temporalio/workflow or a seeded generator.' },
    { object: 'performance', property: 'now', message: 'Use the workflow clock (Date.now()).' },
    { object: 'process', message: 'No process in workflow code.' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
    { name: 'setInterval', message: 'Use sleep() in a loop, or a Schedule.' },
    { name: 'fetch', message: 'Workflow code does no I/O: put it in an activity.' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: "NewExpression[callee.name='Date'][arguments.length=0]",
      message: 'Read the workflow clock explicitly: new Date(Date.now()).',
    },
    {
      // The worker's own time zone would leak into the result: do calendar arithmetic in Asia/Shanghai (domain/schedule.ts).
      selector:
        "CallExpression[callee.property.name=/^(get|set)(FullYear|Month|Date|Day|Hours|Minutes|Seconds|Milliseconds)$/]",
      message: 'Local-time Date methods depend on the machine time zone: use the UTC methods or domain/schedule.ts (Asia/Shanghai).',
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', '.data/**', '.cache/**', 'public/**', 'tests/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // tsc checks these with the types; ESLint's untyped version misreads globals such as NodeJS.
      'no-undef': 'off',
      // A workflow's facts are declared before the handlers that read them and assigned once loaded.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['workflows/**/*.ts', 'domain/**/*.ts'], ignores: ['**/*.test.ts'], rules: workflowDeterminism },
);
