import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/**/*.test.ts',
      'edge/**/*.test.ts',
      'cloud/**/*.test.ts',
      'shared/**/*.test.ts',
      'simulators/**/*.test.ts',
    ],
    exclude: ['dist/**', 'node_modules/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests bind real ports and open SQLite files; two cores, so keep parallelism modest.
    maxWorkers: 2,
  },
});
