import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // End-to-end tests bind real sockets; keep files isolated but let them run in parallel.
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
