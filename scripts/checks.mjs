#!/usr/bin/env node
/**
 * `npm run checks`: package.json's `typecheck`, `lint-code` and `prettier-check` scripts side by side,
 * as their `sh -c` lines (read from package.json, so the two cannot drift apart), without an npm
 * process for each. Their output is held back and printed when all have ended; the status is the
 * first failure's. scripts/test.mjs runs the same checks beside vitest (startChecks).
 */
import { readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCommand } from './processes.mjs';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHECK_SCRIPTS = ['typecheck', 'lint-code', 'prettier-check'];

/**
 * Starts the three checks: `done` resolves with the first failure's status (0 when all passed) and all
 * their output.
 */
export function startChecks() {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const env = { ...process.env, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` };
  const runs = CHECK_SCRIPTS.map((name) => runCommand('sh', ['-c', scripts[name]], { cwd: ROOT, env }));
  const done = Promise.all(runs.map((r) => r.done)).then((results) => ({
    status: results.find((r) => r.status !== 0)?.status ?? 0,
    output: results.flatMap((r) => r.output),
  }));
  return { done };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { status, output } = await startChecks().done;
  process.stdout.write(Buffer.concat(output));
  process.stdout.write(status === 0 ? 'checks passed (type-check, ESLint, Prettier)\n' : 'checks FAILED\n');
  process.exit(status);
}
