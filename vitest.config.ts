import { defineConfig } from 'vitest/config';

// Oracle tests (real rpm, dpkg, ostree...) never skip: a missing tool fails the test.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
    pool: 'forks',
  },
});
