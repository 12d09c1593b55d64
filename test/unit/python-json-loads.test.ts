import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonLoads } from '../../src/python/json-loads.js';
import { jsonDumps } from '../../src/python/json-dumps.js';

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
