import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnmatch, fnmatchRegExp } from '../../src/python/fnmatch.js';
import { fuzzRuns, threadCpuStopwatch } from '../support/fuzz.js';

interface Recorded {
  names: string[];
  cases: Array<{ pattern: string; translate: string; matches: string[] }>;
}

/** fnmatch.fnmatch(name, pattern) of Python 3.11 for every pattern × name (fnmatch_fixture.py). */
const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/python/fnmatch.json', import.meta.url), 'utf8'),
) as Recorded;

describe('fnmatch (Lib/fnmatch.py)', () => {
  it.each(recorded.cases.map((c) => [c.pattern, c.translate, c.matches] as const))(
    '%j (translate: %s)',
    (pattern, _translate, matches) => {
      expect(recorded.names.filter((name) => fnmatch(name, pattern))).toEqual(matches);
    },
  );

  it('compiles every pattern, whatever its brackets and ranges', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('[', ']', '!', '-', '*', '?', '\\', '^', 'a', 'z', '😀') }),
        (p) => {
          expect(fnmatchRegExp(p)).toBeInstanceOf(RegExp);
        },
      ),
      fuzzRuns(13, 2000),
    );
  });

  it('does not backtrack without end on many stars', () => {
    // CPU time, which a busy machine does not stretch: a backtracking match would take minutes.
    const cpuMs = threadCpuStopwatch();
    expect(fnmatch(`${'a'.repeat(5000)}c`, '*a*a*a*a*a*a*a*a*a*a*b')).toBe(false);
    expect(cpuMs()).toBeLessThan(1000);
  });
});
