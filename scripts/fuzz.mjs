#!/usr/bin/env node
/**
 * `npm run fuzz`: the long property-based campaign. `npm test` runs every property a fixed, small
 * number of times from its own seed; this runs the same test files with FUZZ_SCALE times as many runs
 * (test/support/fuzz.ts, fuzzRuns) from a fresh FUZZ_SEED, printed before and after so that a failure
 * can be replayed: `FUZZ_SEED=<n> FUZZ_SCALE=<k> npm run fuzz`. Extra arguments go to vitest (a file
 * name narrows the campaign to that file).
 */
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const seed = process.env.FUZZ_SEED || String(randomInt(1, 2 ** 31 - 1));
const scale = process.env.FUZZ_SCALE || '10';

// The property tests: every test file that takes its seeds and run counts from fuzzRuns().
const files = readdirSync(join(root, 'test'), { recursive: true })
  .filter((name) => name.endsWith('.test.ts'))
  .map((name) => join('test', name))
  .filter((name) => readFileSync(join(root, name), 'utf8').includes('fuzzRuns('))
  .sort();
const args = process.argv.slice(2);
const filters = args.length > 0 ? args : files;

const replay = `FUZZ_SEED=${seed} FUZZ_SCALE=${scale} npm run fuzz${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
console.log(`fuzz campaign: ${files.length} property test files, ${scale}x their npm test runs (replay: ${replay})`);
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(process.execPath, [vitest, 'run', ...filters], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_SCALE: scale },
});
const status = run.status ?? 1;
console.log(`fuzz campaign ${status === 0 ? 'passed' : 'FAILED'}; replay: ${replay}`);
process.exit(status);
