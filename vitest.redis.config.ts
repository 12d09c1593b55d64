import { defineConfig } from 'vitest/config';

/**
 * `npm run test:redis`: the tests that need a real Redis server (test/redis/), run by
 * test/redis/with-redis.mjs, which starts Debian's `redis-server` on a free port and passes it in
 * SALT_APID_TEST_REDIS_PORT. Not part of `npm test`: without redis-server they cannot run, and
 * must not pass by skipping.
 */
export default defineConfig({
  test: {
    include: ['test/redis/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
