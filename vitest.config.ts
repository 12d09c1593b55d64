import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 20_000,
    // One test file per core: vitest's default (cores - 1) runs everything in one worker on a 2-core
    // CI runner, where most e2e files spend their time waiting on sockets and timers. More than one
    // per core starves the tests that bound a call's time (the fuzzers' per-call limit).
    maxWorkers: availableParallelism(),
    hookTimeout: 20_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The demo master is the test double, and the bench measures; neither is the product.
      exclude: ['src/demo/**', 'src/bench/**'],
      reporter: ['text-summary'],
      // Gated at the level reached (2026-11-25: lines 95.1%, statements 92.6%, functions 95.0%, branches 85.1%).
      thresholds: { lines: 94, statements: 91, functions: 94, branches: 84 },
    },
    projects: [
      {
        extends: true,
        // Codecs and parsers: pure functions, so one module graph per worker thread is enough.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads', isolate: false },
      },
      {
        extends: true,
        // The HTTP layer through app.inject: no socket, no demo master; one module graph per worker thread.
        test: { name: 'http', include: ['test/http/**/*.test.ts'], pool: 'threads', isolate: false },
      },
      {
        extends: true,
        // Real sockets, processes and environment variables: each file in its own process.
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], pool: 'forks' },
      },
    ],
  },
});
