import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import { dirname, relative, resolve, sep } from 'node:path';

/** `libs/<name>` or `apps/<name>` of a path relative to the repository, or null for anything else. */
const packageOf = (path) => {
  const [top, name] = path.split(sep);
  return (top === 'libs' || top === 'apps') && name ? `${top}/${name}` : null;
};

/**
 * Libraries built on another: the one below must not import them back. `#node-app` (the node side of a node
 * app) builds on `#runtime` (what every service process shares), so runtime carries no node domain.
 */
const builtOn = { 'libs/node-app': 'libs/runtime' };

/**
 * The layering (DESIGN §6): a library reaches another only through its alias (`#contracts`), never by a
 * relative path into its files, and never imports a library built on it ({@link builtOn}); an app's code is
 * imported by nothing outside that app (tests that bring up several apps live in test/).
 */
const layering = {
  rules: {
    'no-cross-package-import': {
      meta: { type: 'problem', schema: [] },
      create(context) {
        const root = import.meta.dirname;
        const file = relative(root, context.filename);
        const from = packageOf(file);
        const check = (node) => {
          const source = node.source?.value;
          if (typeof source !== 'string') return;
          if (source.startsWith('#')) {
            const to = `libs/${source.slice(1)}`;
            if (from !== null && builtOn[to] === from)
              context.report({ node, message: `${from} imports ${source}, which is built on it` });
            return;
          }
          if (!source.startsWith('.')) return;
          const to = packageOf(relative(root, resolve(dirname(context.filename), source)));
          if (to === null || to === from) return;
          if (to.startsWith('apps/'))
            context.report({
              node,
              message: `${from} imports ${to}: an app's code belongs to that app alone`,
            });
          else
            context.report({
              node,
              message: `${from} reaches into ${to} by a relative path: import its alias`,
            });
        };
        return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check };
      },
    },
  },
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'libs/contracts/src/gen/**',
      '.msx/**',
      'mutation-suites/**',
      '.stryker-tmp/**',
      'reports/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-extraneous-class': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through #config only.',
        },
      ],
    },
  },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts'],
    plugins: { layering },
    rules: { 'layering/no-cross-package-import': 'error' },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: [
      '**/*.spec.ts',
      '**/*.int-spec.ts',
      '**/*.e2e-spec.ts',
      'libs/testing/**',
      // Starts child processes for the tests, npm start and the benchmark: reads PATH, NATS_SERVER_BIN and,
      // in the embedded PostgreSQL's helper, the settings its parent hands it.
      'libs/process-kit/**',
      'libs/config/**',
      'scripts/**',
      'bench/**',
    ],
    rules: {
      'no-restricted-syntax': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
    },
  },
);
