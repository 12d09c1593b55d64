#!/usr/bin/env node
/**
 * `npm test`: the checks (`npm run checks`: type-check, ESLint, Prettier) and vitest, side by side.
 * Most of vitest's e2e time is spent waiting on sockets and timers, which the checks' CPU fills; one
 * after the other they took a third longer. The checks' output is held back and printed when they
 * end: in full when they fail (and vitest is then stopped: nothing lands with a red check), as one
 * line when they pass. Extra arguments go to vitest (`npm test -- --coverage`, a file name).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();

/** Runs a command to its end: its exit status, and its output when `quiet` (held back, not printed). */
function run(command, args, quiet) {
  const child = spawn(command, args, { cwd: root, stdio: quiet ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
  const output = [];
  if (quiet) {
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
  }
  const done = new Promise((resolve) => {
    child.on('error', (err) => resolve({ status: 1, output: [Buffer.from(`${command}: ${err.message}\n`)] }));
    child.on('close', (code, signal) => resolve({ status: code ?? (signal === null ? 1 : 128), output }));
  });
  return { child, done };
}

const vitest = run(process.execPath, [
  join(root, 'node_modules', 'vitest', 'vitest.mjs'),
  'run',
  ...process.argv.slice(2),
]);
const checks = run('npm', ['run', '--silent', 'checks'], true);

const checked = checks.done.then(({ status, output }) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (status === 0) {
    process.stderr.write(`checks passed (type-check, ESLint, Prettier) in ${seconds} s\n`);
  } else {
    process.stderr.write(Buffer.concat(output));
    process.stderr.write(`checks FAILED (type-check, ESLint or Prettier, above) in ${seconds} s: vitest stopped\n`);
    vitest.child.kill('SIGTERM');
  }
  return status;
});

const [checksStatus, { status: vitestStatus }] = await Promise.all([checked, vitest.done]);
process.exit(checksStatus !== 0 ? checksStatus : vitestStatus);
