import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm run fuzz` runs every file that calls fuzzRuns() FUZZ_SCALE times as often, with the default
 * time limits grown by fuzzTimeout(). A limit written as a number in such a file stays what fits
 * `npm test` and fails the campaign by chance (static-app's traversal property: 4,000 runs against
 * a fixed 30 s).
 */
const TEST_ROOT = fileURLToPath(new URL('..', import.meta.url));
const NUMERIC_LIMIT = /\},\s*[\d_]+\s*\)/g;

describe('the fuzz campaign', () => {
  it('grows every time limit of a property test file with the run count', () => {
    const files = readdirSync(TEST_ROOT, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.test.ts'))
      .map((name) => join(TEST_ROOT, name));
    const propertyFiles = files.filter((file) => readFileSync(file, 'utf8').includes('fuzzRuns('));
    expect(propertyFiles.length).toBeGreaterThan(10);
    const fixed = propertyFiles.flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(NUMERIC_LIMIT)].map((match) => `${file}: ${match[0]}`),
    );
    expect(fixed).toEqual([]);
  });
});
