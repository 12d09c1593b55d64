import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonLoads } from '../../src/python/json-loads.js';
import { pythonRepr, pythonStr } from '../../src/python/repr.js';

/** [value, repr(value), str(value)] as Python 3.11 printed them; bytes and floats tagged. */
const recorded = jsonLoads(readFileSync(new URL('../fixtures/python/repr.json', import.meta.url), 'utf8')) as Array<
  [unknown, string, string]
>;

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (typeof value === 'object' && value !== null && !(value instanceof Float64)) {
    const entries = Object.entries(value);
    const [only] = entries;
    if (entries.length === 1 && only?.[0] === '$bytes') return Buffer.from(String(only[1]), 'hex');
    if (entries.length === 1 && only?.[0] === '$float') {
      const number = Buffer.from(String(only[1]), 'hex').readDoubleBE(0);
      return Number.isInteger(number) ? new Float64(number) : number;
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, revive(v)]));
  }
  return value;
}

describe('pythonRepr and pythonStr', () => {
  it.each(recorded.map(([value, repr, str]) => [repr, revive(value), str] as const))('%s', (repr, value, str) => {
    expect(pythonRepr(value)).toBe(repr);
    expect(pythonStr(value)).toBe(str);
  });
});

describe('pythonRepr for login perms', () => {
  it('writes Python reprs to sort non-string entries', () => {
    expect(pythonRepr({ '@runner': ['jobs.*'], n: [1, true, null] })).toBe(
      "{'@runner': ['jobs.*'], 'n': [1, True, None]}",
    );
    expect(pythonRepr("it's")).toBe('"it\'s"');
  });
});
