import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'web/**/*.min.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['web/**/*.js'],
    languageOptions: {
      globals: {
        window: 'readonly', document: 'readonly', navigator: 'readonly', WebSocket: 'readonly',
        AudioContext: 'readonly', AudioWorkletNode: 'readonly', AudioWorkletProcessor: 'readonly',
        registerProcessor: 'readonly', sampleRate: 'readonly', console: 'readonly', URL: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', location: 'readonly', Blob: 'readonly',
        performance: 'readonly', MessageEvent: 'readonly', fetch: 'readonly',
      },
    },
  },
  {
    files: ['scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
