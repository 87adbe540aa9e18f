// typescript-eslint's type-aware recommended rules over bin/, src/ and test/
// (https://typescript-eslint.io/getting-started/typed-linting). Formatting is
// Prettier's job (`prettier --check` in `npm run lint`), so no style rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A function that returns a promise to fit a promise-returning port (a source with nothing to
      // prepare, a fake broker) is async without awaiting anything: deliberate, not a slip.
      '@typescript-eslint/require-await': 'off',
      // `_`-named bindings and the rest of an object are how the code drops what it does not need.
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^_', argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // The build is CommonJS (scripts/bundle.mjs): a static import becomes a require, which a package
    // that is an ES module only does not take. Types are fine; the code imports them with import().
    files: ['bin/**/*.ts', 'src/**/*.ts', 'src/**/*.tsx'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...['ink', '@kubernetes/client-node'].map((name) => ({
              name,
              allowTypeImports: true,
              message: `${name} is an ES module only and thoth's build is CommonJS: import() it where it is used (src/ui/ink.ts, src/kube/client.ts).`,
            })),
            {
              name: 'chalk',
              importNames: ['default', 'chalkStderr', 'supportsColor', 'supportsColorStderr'],
              message:
                "make a Chalk with its level (new Chalk({ level })): chalk's own detection is left out of the build (scripts/bundle.mjs).",
            },
          ],
        },
      ],
    },
  },
  {
    // Tests read JSON and YAML documents back and poke at them: the no-unsafe-* rules (and no-explicit-any)
    // would ask for a type on every fixture. They also match terminal escapes and feed numbers too large
    // for a double on purpose. The product code keeps these rules.
    files: ['test/**/*.ts'],
    rules: {
      'no-control-regex': 'off',
      'no-loss-of-precision': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Plain JavaScript (config files, helpers that tests run as child processes): no type information.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        require: 'readonly',
        URL: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        setImmediate: 'readonly',
        AbortController: 'readonly',
      },
    },
  },
  {
    files: ['**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
