import { defineConfig } from 'vitest/config';

/**
 * `npm run test:salt-ssh`: the ssh client against a real salt-ssh (test/real-salt/), named by
 * SALT_SSH. Not part of `npm test`: CI has no Salt, and the tests must not pass by skipping.
 */
export default defineConfig({
  test: {
    include: ['test/real-salt/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
