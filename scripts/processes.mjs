/**
 * Runs a command to its end for the test scripts (scripts/test.mjs, scripts/checks.mjs): its exit
 * status, and what it printed, held back or passed on line by line.
 */
import { spawn } from 'node:child_process';

/**
 * `command args` in `cwd`. Without `onStdout`, its output (stdout and stderr) is held back and
 * returned; with it, stdout goes to `onStdout` chunk by chunk and stderr to this process's.
 */
export function runCommand(command, args, { cwd, env = process.env, onStdout } = {}) {
  const passOn = onStdout !== undefined;
  const child = spawn(command, args, {
    cwd,
    env,
    stdio: passOn ? ['inherit', 'pipe', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  });
  const output = [];
  if (passOn) {
    child.stdout.on('data', onStdout);
  } else {
    child.stdout.on('data', (chunk) => output.push(chunk));
    child.stderr.on('data', (chunk) => output.push(chunk));
  }
  const done = new Promise((resolve) => {
    child.on('error', (err) => resolve({ status: 1, output: [Buffer.from(`${command}: ${err.message}\n`)] }));
    child.on('close', (code, signal) => resolve({ status: code ?? (signal === null ? 1 : 128), output }));
  });
  return { child, done };
}
