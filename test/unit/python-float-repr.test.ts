import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pythonFloatRepr } from '../../src/python/float-repr.js';

/** [float64 as hex, Python 3.11's repr()] for edge cases and 6,000 random doubles. */
const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/python/float-repr.json', import.meta.url), 'utf8'),
) as Array<[string, string]>;

describe('pythonFloatRepr', () => {
  it('prints every recorded double exactly as Python 3.11 repr() did', () => {
    const wrong = recorded
      .map(([hex, repr]) => [Buffer.from(hex, 'hex').readDoubleBE(0), repr] as const)
      .filter(([value, repr]) => pythonFloatRepr(value) !== repr)
      .map(([value, repr]) => `${value}: ${pythonFloatRepr(value)} != ${repr}`);
    expect(wrong).toEqual([]);
    expect(recorded.length).toBeGreaterThan(6_000);
  });

  it.each([
    [1e16, '1e+16'],
    [1e15, '1000000000000000.0'],
    [2.026112516595652e19, '2.026112516595652e+19'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [NaN, 'nan'],
    [-Infinity, '-inf'],
  ])('%s → %s', (value, repr) => {
    expect(pythonFloatRepr(value)).toBe(repr);
  });
});
