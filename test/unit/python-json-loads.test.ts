import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonLoads } from '../../src/python/json-loads.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { fuzzRuns } from '../support/fuzz.js';

describe('jsonLoads (json.loads as Python types numbers)', () => {
  it('keeps integers exact and floats floats', () => {
    expect(jsonLoads('[1, 1.0, 2.50, 1e2, -0.0, 9007199254740993, 12345678901234567890123, 0.1]')).toEqual([
      1,
      new Float64(1),
      2.5,
      new Float64(100),
      new Float64(-0),
      9007199254740993n,
      12345678901234567890123n,
      0.1,
    ]);
  });

  it('keeps the last value of a repeated key in its first place, and __proto__ as a plain key', () => {
    const value = jsonLoads('{"a": 1, "b": 2, "a": 3, "__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['a', 'b', '__proto__']);
    expect(value['a']).toBe(3);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('refuses what is not JSON', () => {
    for (const text of ['{a: 1}', '[1,]', "'x'", '', '[1] 2']) expect(() => jsonLoads(text)).toThrow(SyntaxError);
  });

  it("refuses integers of more than 4,300 digits as Python's int() does (ValueError), floats of any length not", () => {
    const digits = '9'.repeat(4_300);
    expect(jsonLoads(`[${digits}, -${digits}]`)).toEqual([BigInt(digits), -BigInt(digits)]);
    for (const text of [`[${digits}1]`, `[-${digits}1]`, `{"a": [1, ${'1'.repeat(900_000)}]}`])
      expect(() => jsonLoads(text)).toThrow('Exceeds the limit (4300 digits) for integer string conversion');
    expect(jsonLoads(`[${digits}1.5, ${digits}1e-4300]`)).toHaveLength(2);
  });
});

describe('jsonLoads of the words Python accepts', () => {
  it('reads NaN, Infinity and -Infinity as floats, outside strings only', () => {
    const value = jsonLoads(
      '[NaN, Infinity, -Infinity, "NaN", {"Infinity": "-Infinity"}, "\\u0000wNaN", {"\\u0000wNaN" : "\\u0000s"}]',
    ) as unknown[];
    expect(value[0]).toBeNaN();
    expect(value.slice(1)).toEqual([
      Infinity,
      -Infinity,
      'NaN',
      { Infinity: '-Infinity' },
      '\u0000wNaN',
      { '\u0000wNaN': '\u0000s' },
    ]);
  });

  it('refuses them where they are not a value', () => {
    for (const text of ['[-NaN]', '[NaNa]', '{NaN: 1}', '[nan]', '[- Infinity]'])
      expect(() => jsonLoads(text)).toThrow(SyntaxError);
  });
});

describe('jsonLoads, key order (as a Python dict keeps it)', () => {
  it('keeps the order keys came in, number-like ones too, and writes them back so', () => {
    const text = '{"b": 1, "10": {"z": 0, "2": [{"9": 1, "x": 2}]}, "a": 3, "1": 4, "10": {"y": 5, "3": 6}}';
    const value = jsonLoads(text);
    expect(jsonDumps(value)).toBe('{"b": 1, "10": {"y": 5, "3": 6}, "a": 3, "1": 4}');
    const nested = jsonLoads('[{"k": {"c": 1, "0": 2}}, {"__proto__": 1, "5": 2}, "x", NaN]');
    expect(jsonDumps(nested)).toBe('[{"k": {"c": 1, "0": 2}}, {"__proto__": 1, "5": 2}, "x", NaN]');
    expect(jsonDumps(jsonLoads('{"b": "\\"}{[", "1": "a,b"}'))).toBe('{"b": "\\"}{[", "1": "a,b"}');
  });
});

/** A JSON object's text with Python's separators, its keys in the order given (each once). */
type Tree = string | number | Tree[] | { entries: Array<[string, Tree]> };
const treeText = (tree: Tree): string => {
  if (typeof tree === 'string' || typeof tree === 'number') return JSON.stringify(tree);
  if (Array.isArray(tree)) return `[${tree.map(treeText).join(', ')}]`;
  return `{${tree.entries.map(([key, value]) => `${JSON.stringify(key)}: ${treeText(value)}`).join(', ')}}`;
};
const orderKey = fc.oneof(
  fc.constantFrom('0', '1', '10', '4294967294', '4294967295', '01', '-1', 'a', 'b', '__proto__', '"', '\\', ':'),
  fc.string({ maxLength: 4 }),
);
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    fc.string({ maxLength: 5 }),
    fc.integer(),
    fc.array(tie('tree'), { maxLength: 3 }),
    fc
      .uniqueArray(fc.tuple(orderKey, tie('tree')), { selector: ([key]) => key, maxLength: 5 })
      .map((entries) => ({ entries })),
  ),
})).tree;

describe('jsonLoads, key order of any document', () => {
  it('gives back every object with its keys in the order of the text', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const text = treeText(value);
        expect(jsonDumps(jsonLoads(text))).toBe(text);
      }),
      fuzzRuns(0x6b0d, 300),
    );
  });
});
