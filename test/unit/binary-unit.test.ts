import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binaryUnit } from '../support/binary-unit.js';

describe('binaryUnit', () => {
  it("gives, seed for seed, the strings that fast-check's unit: 'binary' gives", () => {
    for (const maxLength of [1, 12, 200]) {
      for (const seed of [1, 42, 0x5eed]) {
        const ours = fc.sample(fc.string({ unit: binaryUnit, maxLength }), { seed, numRuns: 200 });
        const theirs = fc.sample(fc.string({ unit: 'binary', maxLength }), { seed, numRuns: 200 });
        expect(ours).toEqual(theirs);
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
