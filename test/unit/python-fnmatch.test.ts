import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnmatch, fnmatchMatcher, fnmatchRegExp, MAX_REGEXP_GLOB_LENGTH } from '../../src/python/fnmatch.js';
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

  it('matches patterns a RegExp cannot hold, as Python does', () => {
    // Each of these, one step shorter, still compiles as a V8 RegExp; at this length it fails on its first
    // match: too large, or a stack overflow.
    const nested = `${'{"a":'.repeat(5462)}1${'}'.repeat(5462)}`;
    expect(fnmatch('minion-1', nested)).toBe(false);
    expect(fnmatch(nested, nested)).toBe(true);
    expect(fnmatch('ab'.repeat(16_384), 'ab'.repeat(16_384))).toBe(true);
    expect(fnmatch('a'.repeat(2603), 'a*'.repeat(2603))).toBe(true);
    expect(fnmatch('a'.repeat(2602), 'a*'.repeat(2603))).toBe(false);
    expect(fnmatch('x'.repeat(12_489), '?'.repeat(12_489))).toBe(true);
    expect(fnmatch('b'.repeat(32_768), '[a-c]'.repeat(32_768))).toBe(true);
    expect(fnmatch('d'.repeat(32_768), '[a-c]'.repeat(32_768))).toBe(false);
  });

  it('refuses names shorter than a long pattern at once, and compiles the pattern once', () => {
    // 150,000 characters of distinct code points and `?`: quadratic to compile as a class table.
    let pattern = '';
    for (let i = 0; i < 100_000; i++) pattern += `${String.fromCodePoint(0x4e00 + (i % 20_000))}${i % 2 ? '?' : ''}`;
    const cpuMs = threadCpuStopwatch();
    for (let i = 0; i < 25_000; i++) expect(fnmatch(`minion-${i}`, pattern)).toBe(false);
    expect(fnmatch(pattern.replaceAll('?', 'x'), pattern)).toBe(true);
    expect(cpuMs()).toBeLessThan(1000);
  });

  it('answers alike on both sides of the RegExp limit', () => {
    const atom = fc.constantFrom('a', 'b', '*', '?', '[ab]', '[!a]', '[', ']', '-');
    // A literal run in front of pattern and name changes no answer and takes the pattern past the limit.
    const prefix = 'p'.repeat(MAX_REGEXP_GLOB_LENGTH);
    fc.assert(
      fc.property(
        fc.array(atom, { minLength: 1, maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'p', '[', ']', '-'), maxLength: 40 }),
        (atoms, name) => {
          const pattern = atoms.join('');
          const expected = fnmatchRegExp(pattern).test(name);
          expect(fnmatchMatcher(`${prefix}${pattern}`)(`${prefix}${name}`)).toBe(expected);
          expect(fnmatchRegExp(`${prefix}${pattern}`).test(`${prefix}${name}`)).toBe(expected);
        },
      ),
      fuzzRuns(29, 300),
    );
  });
});
