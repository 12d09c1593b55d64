/**
 * fast-check's `unit: 'binary'` (any code point but a surrogate half), as an arbitrary of our own that
 * generates and shrinks exactly as fast-check's does, without its one costly step.
 *
 * fast-check builds that unit with `mapToConstant`, whose way back from a character to its index is a
 * Map of all 1,112,064 code points, built the first time `fc.string({ unit: 'binary' })` looks for
 * the characters of its "dangerous strings" (`__proto__`, ...): 0.5 s of CPU in every test process
 * that imports a binary-string arbitrary, about a tenth of the whole suite's CPU (perf, 2026-12-07).
 * The same index-to-character mapping, with the way back computed, costs nothing; the same seed gives
 * the same strings (test/unit/binary-unit.test.ts).
 */
import fc from 'fast-check';

const SURROGATES_START = 0xd800;
const SURROGATES_SIZE = 0x800;
const LAST_INDEX = 0x10ffff - SURROGATES_SIZE;

function toUnit(index: number): string {
  return String.fromCodePoint(index < SURROGATES_START ? index : index + SURROGATES_SIZE);
}

function fromUnit(value: unknown): number {
  if (typeof value !== 'string') throw new Error('not a binary unit');
  const codePoint = value.codePointAt(0);
  if (codePoint === undefined || String.fromCodePoint(codePoint) !== value) throw new Error('not a binary unit');
  if (codePoint >= SURROGATES_START && codePoint < SURROGATES_START + SURROGATES_SIZE) {
    throw new Error('not a binary unit');
  }
  return codePoint < SURROGATES_START ? codePoint : codePoint - SURROGATES_SIZE;
}

/** One code point, not a surrogate half: what `fc.string({ unit: binaryUnit })` strings are made of. */
export const binaryUnit: fc.Arbitrary<string> = fc.nat({ max: LAST_INDEX }).map(toUnit, fromUnit);
