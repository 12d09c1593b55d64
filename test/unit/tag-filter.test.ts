import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fnmatchRegExp } from '../../src/python/fnmatch.js';
import { HttpError } from '../../src/http/transport/errors.js';
import {
  MAX_FILTERED_TAG_LENGTH,
  MAX_GLOB_LENGTH,
  MAX_GLOBS,
  tagFilter,
  type MatchMeter,
} from '../../src/http/streams/tag-filter.js';
import { fuzzRuns } from '../support/fuzz.js';

/** `?tag=` with these globs, counting its steps in `meter`. */
function compiled(globs: string | string[], meter?: MatchMeter): (tag: string) => boolean {
  const filter = tagFilter(globs, meter);
  if (filter === undefined) throw new Error('no filter');
  return filter;
}

/** Globs that make a backtracking matcher (fnmatch.translate's RegExp) do O(tag × glob) work. */
const HOSTILE_GLOBS = [
  `*${'?'.repeat(200)}b`,
  `*${'a'.repeat(100)}*${'a'.repeat(100)}b`,
  `${'*a'.repeat(100)}*b`,
  `*[ab]${'[!b]'.repeat(60)}c`,
  `*${'[a-z]?'.repeat(40)}*x`,
];

describe('?tag= filters: what they match', () => {
  it('match as Python fnmatch does: *, ?, sets, ranges, negation, literal [ and astral characters', () => {
    const cases: Array<[string, string, boolean]> = [
      ['salt/job/*/ret/*', 'salt/job/1/ret/m1', true],
      ['salt/job/*/ret/*', 'salt/job/1/new', false],
      ['salt/job/*', 'salt/job/', true],
      ['salt/job/*/ret/minion-[12]', 'salt/job/1/ret/minion-1', true],
      ['salt/job/*/ret/minion-[12]', 'salt/job/1/ret/minion-3', false],
      ['a?c[!x]', 'abcd', true],
      ['a.c', 'abc', false],
      ['[', '[', true],
      ['salt/[]]', 'salt/]', true],
      ['salt/[z-a]x', 'salt/ax', false],
      ['salt/[!z-a]x', 'salt/ax', true],
      ['salt/?', 'salt/😀', true],
      ['*/x', 'a\nb/x', true],
      ['*a*a*a*b', 'aaab', true],
      ['*a*a*a*b', 'aab', false],
      ['**', '', true],
      ['*ab', 'aab', true],
      ['a*', 'b', false],
    ];
    for (const [glob, tag, expected] of cases) {
      expect(compiled(glob)(tag), `${glob} ~ ${tag}`).toBe(expected);
      expect(fnmatchRegExp(glob).test(tag), `${glob} ~ ${tag} (fnmatch.translate)`).toBe(expected);
    }
  });

  it('agree with fnmatch.translate on random globs and tags (seeded)', () => {
    const alphabet = fc.constantFrom('a', 'b', '/', '*', '?', '[', ']', '!', '-', 'z', 'é', '😀', '\n', '\uD800');
    const text = (max: number) => fc.array(alphabet, { maxLength: max }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text(14), fc.array(text(18), { minLength: 1, maxLength: 6 }), (glob, tags) => {
        const filter = compiled(glob === '' ? '*' : glob);
        const reference = fnmatchRegExp(glob === '' ? '*' : glob);
        for (const tag of tags) expect(filter(tag)).toBe(reference.test(tag));
      }),
      fuzzRuns(21, 3_000),
    );
  });

  it('match any of several globs; no glob (or only empty ones) is no filter', () => {
    const filter = compiled(['salt/job/*', 'salt/key']);
    expect(['salt/job/1/new', 'salt/key', 'salt/keys', 'salt/auth'].map(filter)).toEqual([true, true, false, false]);
    expect(tagFilter(undefined)).toBeUndefined();
    expect(tagFilter(['', ''])).toBeUndefined();
  });
});

describe('?tag= filters: bounded work', () => {
  it('refuse more than 32 globs, or a glob longer than 256 characters (400)', () => {
    expect(MAX_GLOBS).toBe(32);
    expect(MAX_GLOB_LENGTH).toBe(256);
    const refused = (globs: string[]): unknown => {
      try {
        tagFilter(globs);
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(refused(Array.from({ length: 33 }, (_, i) => `t${i}`))).toBeInstanceOf(HttpError);
    expect(refused([`salt/${'x'.repeat(251)}`])).toBeUndefined();
    const long = refused([`salt/${'x'.repeat(251)}*`]);
    expect(long).toBeInstanceOf(HttpError);
    expect((long as HttpError).status).toBe(400);
  });

  it('let no tag longer than the bound through a filter, at the cost of a length check', () => {
    const meter: MatchMeter = { steps: 0 };
    const anything = compiled('*', meter);
    const hook = compiled('salt/netapi/hook/*', meter);
    const longest = `salt/netapi/hook/${'x'.repeat(MAX_FILTERED_TAG_LENGTH - 17)}`;
    expect(longest).toHaveLength(MAX_FILTERED_TAG_LENGTH);
    expect(anything(longest)).toBe(true);
    expect(hook(longest)).toBe(true);
    meter.steps = 0;
    const tooLong = `${longest}x`;
    expect(anything(tooLong)).toBe(false);
    expect(hook(tooLong)).toBe(false);
    expect(meter.steps).toBe(2);
  });

  it('match in steps linear in the tag, whatever the glob (no backtracking)', () => {
    for (const glob of HOSTILE_GLOBS) {
      for (const length of [256, 1024, MAX_FILTERED_TAG_LENGTH]) {
        const meter: MatchMeter = { steps: 0 };
        const filter = compiled(glob, meter);
        const tag = 'a'.repeat(length);
        expect(filter(tag)).toBe(fnmatchRegExp(glob).test(tag));
        // Each character of the tag is looked at about once per glob, plus the glob's own anchors.
        expect(meter.steps, `${glob.slice(0, 20)}… on ${length}`).toBeLessThanOrEqual(2 * length + glob.length + 1);
      }
    }
  });

  it('cost 400 streams with hostile filters one length check each for a 14 KB tag, linear work below the bound', () => {
    const meter: MatchMeter = { steps: 0 };
    // Distinct globs per stream, so that no stream can reuse another's answer.
    const streams = Array.from({ length: 400 }, (_, i) =>
      compiled(
        HOSTILE_GLOBS.map((glob) => `${glob}${i}`),
        meter,
      ),
    );
    const huge = 'a'.repeat(14 * 1024);
    for (const filter of streams) expect(filter(huge)).toBe(false);
    expect(meter.steps).toBe(400);
    meter.steps = 0;
    const longest = 'a'.repeat(MAX_FILTERED_TAG_LENGTH);
    for (const filter of streams) expect(filter(longest)).toBe(false);
    const perGlob = 2 * MAX_FILTERED_TAG_LENGTH + MAX_GLOB_LENGTH + 1;
    expect(meter.steps).toBeLessThanOrEqual(400 * HOSTILE_GLOBS.length * perGlob);
  });

  it('answers streams sharing a filter once per event', () => {
    const meter: MatchMeter = { steps: 0 };
    const streams = Array.from({ length: 400 }, () => compiled(['salt/job/*/ret/*', 'salt/key'], meter));
    const tag = 'salt/job/20261125000000000000/ret/minion-1';
    for (const filter of streams) expect(filter(tag)).toBe(true);
    expect(meter.steps).toBeLessThanOrEqual(2 * tag.length + 20 + 400);
  });
});
