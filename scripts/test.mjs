#!/usr/bin/env node
/**
 * `npm test`: the checks (scripts/checks.mjs: type-check, ESLint, Prettier) and vitest, side by side.
 * Most of vitest's e2e time is spent waiting on sockets and timers, which the checks' CPU fills; one
 * after the other they took a third longer. The checks' output is held back and printed when they
 * end: in full when they fail (and vitest is then stopped: nothing lands with a red check), as one
 * line when they pass. Vitest's closing line ("N passed, N failed, N skipped", which CI's log reader
 * reads) stays the last line: when the checks end after vitest, it is printed again after theirs.
 * Extra arguments go to vitest (`npm test -- --coverage`, a file name).
 */
import { join } from 'node:path';
import { ROOT, startChecks } from './checks.mjs';
import { runCommand } from './processes.mjs';

const started = performance.now();
/** The last line vitest printed. */
let lastLine;
let vitestEnded = false;

// Vitest's output passes through a pipe (for its last line): colours as on the terminal all the same.
const vitest = runCommand(
  process.execPath,
  [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...process.argv.slice(2)],
  {
    cwd: ROOT,
    env: { ...process.env, ...(process.stdout.isTTY && { FORCE_COLOR: '1' }) },
    onStdout: (chunk) => {
      process.stdout.write(chunk);
      const text = chunk.toString().trimEnd();
      if (text !== '') lastLine = text.slice(text.lastIndexOf('\n') + 1);
    },
  },
);
void vitest.done.then(() => (vitestEnded = true));

/** Whether the checks' line came after vitest's last: then that line is printed again. */
let printedAfter = false;
const checked = startChecks().done.then(({ status, output }) => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  printedAfter = vitestEnded;
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
if (printedAfter && lastLine !== undefined) process.stdout.write(`${lastLine}\n`);
process.exit(checksStatus !== 0 ? checksStatus : vitestStatus);
