#!/usr/bin/env node
/**
 * Starts `redis-server` (Debian's package) on a free port in a private folder, runs the Redis
 * tests against it, stops it. Without redis-server it fails, loudly: these tests never pass by
 * being skipped.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const port = await new Promise((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address();
    probe.close(() => resolve(free));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'salt-apid-redis-'));
const redis = spawn(
  'redis-server',
  ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const ready = await new Promise((resolve) => {
  redis.once('error', (error) => {
    process.stderr.write(
      `test:redis: cannot start redis-server (${error.code ?? error.message}); install Debian's redis-server\n`,
    );
    resolve(false);
  });
  redis.stdout.on('data', (chunk) => {
    if (String(chunk).includes('Ready to accept connections')) resolve(true);
  });
  redis.once('exit', () => resolve(false));
});
let code = 1;
if (ready) {
  const vitest = spawn('npx', ['vitest', 'run', '--config', 'vitest.redis.config.ts'], {
    stdio: 'inherit',
    env: { ...process.env, SALT_APID_TEST_REDIS_PORT: String(port) },
  });
  code = await new Promise((resolve) => vitest.once('exit', (exitCode) => resolve(exitCode ?? 1)));
}
redis.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
process.exit(code);
