#!/usr/bin/env node
/**
 * `npm test`: the checks (those of `npm run checks`: type-check, ESLint, Prettier) and vitest, side by side.
 * Most of vitest's e2e time is spent waiting on sockets and timers, which the checks' CPU fills; one
 * after the other they took a third longer. The checks' output is held back and printed when they
 * end: in full when they fail (and vitest is then stopped: nothing lands with a red check), as one
 * line when they pass. Vitest's closing line ("N passed, N failed, N skipped", which CI's log reader
 * reads) stays the last line: when the checks end after vitest, it is printed again after theirs.
 * Extra arguments go to vitest (`npm test -- --coverage`, a file name).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const started = performance.now();
/** The last line vitest printed, and whether anything was printed after it. */
let lastLine;
let vitestEnded = false;
let printedAfter = false;

/** Runs a command to its end: its exit status, and its output when `quiet` (held back, not printed). */
function run(command, args, quiet, extraEnv = {}) {
  const stdio = quiet ? ['ignore', 'pipe', 'pipe'] : ['inherit', 'pipe', 'inherit'];
  // Vitest's output passes through a pipe (for its last line): colours as on the terminal all the same.
  const env = { ...process.env, ...(!quiet && process.stdout.isTTY && { FORCE_COLOR: '1' }), ...extraEnv };
  const child = spawn(command, args, { cwd: root, stdio, env });
  const output = [];
  if (quiet) {
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
  } else {
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const text = chunk.toString().trimEnd();
      if (text !== '') lastLine = text.slice(text.lastIndexOf('\n') + 1);
    });
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
// `npm run checks`, without an npm process for it and for each of its three scripts: they run side by
// side as its `sh -c` lines, read from package.json so that the two cannot drift apart.
const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const bin = join(root, 'node_modules', '.bin');
const checks = all(
  ['typecheck', 'lint-code', 'prettier-check'].map((name) =>
    run('sh', ['-c', scripts[name]], true, { PATH: `${bin}${delimiter}${process.env.PATH}` }),
  ),
);

/** The runs as one: the first failure's status (0 when all passed), and all their output held back. */
function all(runs) {
  const done = Promise.all(runs.map((r) => r.done)).then((results) => ({
    status: results.find((r) => r.status !== 0)?.status ?? 0,
    output: results.flatMap((r) => r.output),
  }));
  return { done };
}

void vitest.done.then(() => (vitestEnded = true));

const checked = checks.done.then(({ status, output }) => {
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
