// `npm run lint`: the type checker, then these rules over src/ and test/ with type information.
import js from '@eslint/js'
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript'
import importX from 'eslint-plugin-import-x'
import tseslint from 'typescript-eslint'

/** The edges: what reads files, talks to the network, or runs the process. The core may import none of them. */
const edges = ['./src/admission', './src/cli', './src/cluster', './src/manifest', './src/policy-files', './src/policy-test', './src/server']
/** Modules that do I/O or hold process state: never in the pure core. */
const ioModules = ['node:fs', 'node:fs/promises', 'node:net', 'node:http', 'node:https', 'node:tls', 'node:child_process', 'node:os', 'fastify', 'pino', '@kubernetes/client-node']

export default tseslint.config(
  { ignores: ['dist/', 'dist-check/', 'node_modules/', 'coverage/', '.tap/', 'bench/', 'charts/', 'eslint.config.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/order': [
        'error',
        { groups: ['builtin', 'external', 'internal', 'parent', 'sibling', 'index'], alphabetize: { order: 'asc', caseInsensitive: true } },
      ],
      'import-x/no-duplicates': 'error',
      'import-x/no-cycle': 'error',
      'import-x/no-self-import': 'error',
    },
  },
  {
    // The layering: kube/ is the base; policy/ and engine/ are the pure core; the edges sit around them.
    files: ['src/**/*.ts'],
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src/kube', from: './src', except: ['./kube', './errors.ts'], message: 'src/kube/ is the base layer: it imports no other layer.' },
            { target: './src/policy', from: [...edges, './src/engine'], message: 'src/policy/ is the pure core: it imports no edge and not the engine.' },
            { target: './src/engine', from: edges, message: 'src/engine/ is the pure core: it imports no edge (declare a port in src/policy/context.ts).' },
            { target: './src/admission', from: ['./src/cli', './src/cluster', './src/server'], message: 'src/admission/ is pure: the server and the CLI call it.' },
            { target: ['./src/cluster', './src/manifest', './src/policy-files', './src/policy-test'], from: ['./src/cli', './src/server'], message: 'Adapters do not import the server or the CLI.' },
            { target: './src/server', from: './src/cli', message: 'The server does not import the CLI.' },
            { target: './src/cli', from: './src/server', except: ['./serve.ts'], message: 'Only `serve` starts the server (lazily); other commands must not load Fastify.' },
          ],
        },
      ],
    },
  },
  {
    // A spread argument passes each element on the stack: 140,000 findings overflow it (issue 10). Loop instead.
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'CallExpression[callee.property.name=/^(push|unshift|splice)$/] > SpreadElement', message: 'No spread into push/unshift/splice: a long list overflows the stack; push in a loop.' },
        { selector: "CallExpression[callee.object.name='Math'] > SpreadElement", message: 'No spread into Math.max/min: a long list overflows the stack; reduce instead.' },
      ],
    },
  },
  {
    files: ['src/policy/**/*.ts', 'src/engine/**/*.ts', 'src/kube/**/*.ts', 'src/admission/**/*.ts', 'src/manifest/documents.ts', 'src/manifest/plain-yaml.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ioModules.map((name) => ({ name, message: 'The pure core does no I/O.' })) }],
      'no-restricted-globals': ['error', { name: 'process', message: 'The pure core reads no environment and no clock: take it as an argument.' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // tap awaits the promise t.test() returns itself (subtests run in order); test files call it without await.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: '@tapjs/test', name: ['test', 'before', 'teardown'] }] },
      ],
      // Every tap callback is async by the suite's convention, whether or not it happens to await.
      '@typescript-eslint/require-await': 'off',
    },
  },
)
