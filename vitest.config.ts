import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { fuzzTimeout } from './test/support/fuzz-scale.js';

export default defineConfig({
  test: {
    // Grown FUZZ_SCALE times under `npm run fuzz`, whose properties run that many times more.
    testTimeout: fuzzTimeout(20_000),
    // Three test files per core. Most e2e files spend their time waiting on sockets, timers and the demo
    // master's simulated delays, not on the CPU: at one file per core a 2-core machine sat 70% idle and the
    // run took twice as long. The tests that bound a call's time bound its CPU time, not its wall time
    // (decision 0026), so sharing a core does not fail them.
    maxWorkers: availableParallelism() * 3,
    hookTimeout: fuzzTimeout(20_000),
    experimental: { fsModuleCache: true },
    reporters: ['default', './test/support/summary-reporter.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The demo master is the test double, and the bench measures; neither is the product. The Redis
      // driver needs a Redis server: its tests are `npm run test:redis` (vitest.redis.config.ts).
      exclude: ['src/demo/**', 'src/bench/**', 'src/salt/cache/redis.ts'],
      reporter: ['text-summary'],
      // Gated at the level reached (2026-11-25: lines 95.1%, statements 92.6%, functions 95.0%, branches 85.1%).
      thresholds: { lines: 94, statements: 91, functions: 94, branches: 84 },
    },
    projects: [
      {
        extends: true,
        // Codecs and parsers: pure functions, so one module graph per worker is enough. Worker processes, not
        // threads: body-fuzz bounds the growth of the process's RSS, which threads would share.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'forks', isolate: false },
      },
      {
        extends: true,
        // The HTTP layer through app.inject: no socket, no demo master; one module graph per worker thread.
        test: { name: 'http', include: ['test/http/**/*.test.ts'], pool: 'threads', isolate: false },
      },
      {
        extends: true,
        // Real sockets, child processes and native ZeroMQ: worker processes rather than threads. Files share a
        // worker's module graph (not loading fastify, zeromq and src/ again for each file saves a third of the
        // e2e time); a file that changes process state (an environment variable) puts it back when done.
        // Its setup builds the start-up bundle once for the run: the tests that start salt-apid as a process run it.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          pool: 'forks',
          isolate: false,
          globalSetup: ['./test/support/cli-bundle.ts'],
        },
      },
    ],
  },
});
