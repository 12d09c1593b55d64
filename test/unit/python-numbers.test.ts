import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { pythonFloatRepr } from '../../src/python/float-repr.js';
import { floatOf, intOf, parseFloatText, parseIntText } from '../../src/python/numbers.js';

interface Recorded {
  cases: Array<{ text: string; int: string | null; int16: string | null; float: string | null }>;
}

/** int(text), int(text, 16) and float(text) of Python 3.11, null where it raised (numbers_fixture.py). */
const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/python/numbers.json', import.meta.url), 'utf8'),
) as Recorded;

const hex = (value: bigint): string => (value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`);
const label = (text: string): string =>
  JSON.stringify(text.length > 40 ? `${text.slice(0, 12)}…(${text.length})` : text);

describe('int() and float() of text', () => {
  it.each(recorded.cases.map((c) => [label(c.text), c] as const))('%s', (_label, c) => {
    const int = parseIntText(c.text);
    expect(int === undefined ? null : int.toString()).toBe(c.int);
    const int16 = parseIntText(c.text, 16);
    expect(int16 === undefined ? null : hex(int16)).toBe(c.int16);
    const float = parseFloatText(c.text);
    expect(float === undefined ? null : pythonFloatRepr(float)).toBe(c.float);
  });
});

describe('int() and float() of decoded values', () => {
  it('truncates floats, counts bools, reads str and bytes', () => {
    expect([2.7, -2.7, new Float64(3), true, false, 5n, ' 12 ', Buffer.from(' 12 ')].map(intOf)).toEqual([
      2n,
      -2n,
      3n,
      1n,
      0n,
      5n,
      12n,
      12n,
    ]);
    expect([true, 5n, new Float64(3), '1e3', Buffer.from('-.5'), NaN].map(floatOf)).toEqual([1, 5, 3, 1000, -0.5, NaN]);
  });

  it('is undefined where Python raises', () => {
    // int(inf) OverflowError, int(nan) ValueError, int(None)/int([]) TypeError, int(b'\xd9\xa3') ValueError.
    expect([Infinity, NaN, null, undefined, [], {}, '1.5', Buffer.from('١')].map(intOf)).toEqual(
      Array(8).fill(undefined),
    );
    // float(10**400) OverflowError.
    expect([10n ** 400n, null, [], 'x'].map(floatOf)).toEqual(Array(4).fill(undefined));
  });
});
