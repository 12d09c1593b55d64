import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryUnit } from '../support/binary-unit.js';

describe('binaryUnit', () => {
  it("gives, seed for seed, the strings that fast-check's unit: 'binary' gives", () => {
    for (const maxLength of [1, 12, 200]) {
      // Made once for the three seeds: each of fast-check's builds a Map of every code point.
      const ourStrings = fc.string({ unit: binaryUnit, maxLength });
      const theirStrings = fc.string({ unit: 'binary', maxLength });
      for (const seed of [1, 42, 0x5eed]) {
        expect(fc.sample(ourStrings, { seed, numRuns: 200 })).toEqual(fc.sample(theirStrings, { seed, numRuns: 200 }));
      }
    }
  });

  it('maps back every kind of code point, and refuses what is not one', () => {
    for (const unit of ['\u0000', 'a', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{10ffff}']) {
      expect(binaryUnit.canShrinkWithoutContext(unit)).toBe(true);
    }
    for (const value of ['', 'ab', '\ud800', '\udfff', 1, null]) {
      expect(binaryUnit.canShrinkWithoutContext(value)).toBe(false);
    }
  });
});
