import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonLoads } from '../../src/python/json-loads.js';
import { pythonTruthy } from '../../src/python/truthiness.js';
import { PYYAML_SAFE_SCHEMA, loadYaml } from '../../src/python/yaml11.js';

interface Recorded {
  cases: Array<{ format: 'json' | 'yaml'; text: string; truthy: boolean }>;
}

/** bool(json.loads(text)) and bool(yaml.safe_load(text)) of Python 3.11 (truthiness_fixture.py). */
const recorded = JSON.parse(
  readFileSync(new URL('../fixtures/python/truthiness.json', import.meta.url), 'utf8'),
) as Recorded;

const load = (format: 'json' | 'yaml', text: string): unknown =>
  format === 'json' ? jsonLoads(text) : loadYaml(text, undefined, PYYAML_SAFE_SCHEMA);

describe('pythonTruthy', () => {
  it.each(recorded.cases.map((c) => [c.format, JSON.stringify(c.text), c] as const))('%s %s', (_f, _t, c) => {
    expect(pythonTruthy(load(c.format, c.text))).toBe(c.truthy);
  });

  it('counts the entries of Maps and Sets, and of null-prototype objects', () => {
    expect([new Map(), new Set(), Object.create(null)].map(pythonTruthy)).toEqual([false, false, false]);
    expect([new Map([[1, 1]]), new Set([0]), Object.assign(Object.create(null), { a: 0 })].map(pythonTruthy)).toEqual([
      true,
      true,
      true,
    ]);
  });
});
