import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { jsonDumpsChunks } from '../../src/python/json-chunks.js';
import { saltValue } from '../support/event-arbitraries.js';
import { fuzzRuns, jsonish } from '../support/fuzz.js';

/** json.dumps in chunks (json-chunks.ts): the same text as json-dumps.ts, written piece by piece. */

const joined = (value: unknown, chunkChars?: number): string => [...jsonDumpsChunks(value, chunkChars)].join('');

/** Values json.dumps meets beyond the wire's: maps with keys of every kind, floats, bytes, holes. */
const odd: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    saltValue,
    jsonish,
    fc.double().map((d) => new Float64(d)),
    fc.constantFrom(undefined, -0, 1e-5, 2 ** 60, NaN, -Infinity, new Uint8Array([0xff, 0xfe]), () => 1),
    fc.array(tie('value'), { maxLength: 4 }),
    fc
      .array(
        fc.tuple(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.boolean(), fc.constant(null)), tie('value')),
        {
          maxLength: 4,
        },
      )
      .map((entries) => new Map<unknown, unknown>(entries)),
  ),
})).value;

describe('jsonDumpsChunks', () => {
  it('writes exactly what jsonDumps writes, whatever the chunk size', () => {
    fc.assert(
      fc.property(odd, fc.integer({ min: 1, max: 64 }), (value, chunkChars) => {
        expect(joined(value, chunkChars)).toBe(jsonDumps(value));
      }),
      fuzzRuns(0x5a17, 300),
    );
  });

  it('writes the scalars and empty containers as json.dumps does', () => {
    for (const value of [undefined, null, true, 0, -0, 1.5, 2n ** 70n, '', 'é\u0000', [], {}, new Map(), [undefined]])
      expect(joined(value)).toBe(jsonDumps(value));
  });

  it('cuts a large answer into chunks near the size asked for', () => {
    const returns: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) returns[`minion-${i}`] = { ret: 'x'.repeat(100), retcode: 0 };
    const chunks = [...jsonDumpsChunks({ return: [returns] }, 64 * 1024)];
    expect(chunks.length).toBeGreaterThan(10);
    for (const chunk of chunks.slice(0, -1)) expect(chunk.length).toBeLessThan(64 * 1024 + 200);
    expect(chunks.join('')).toBe(jsonDumps({ return: [returns] }));
  });

  it('refuses a value inside itself, as JSON.stringify does, and writes a shared one each time', () => {
    const loop: Record<string, unknown> = { a: [1] };
    (loop['a'] as unknown[]).push({ back: loop });
    expect(() => joined({ return: [loop] })).toThrow(TypeError);
    expect(() => JSON.stringify(loop)).toThrow(TypeError);
    const mapLoop = new Map<unknown, unknown>();
    mapLoop.set('self', [mapLoop]);
    expect(() => joined(mapLoop)).toThrow(TypeError);
    const shared = { x: [1, 2] };
    const twice = { a: shared, b: [shared, { c: shared }] };
    expect(joined(twice)).toBe(jsonDumps(twice));
    expect(joined(twice)).toBe('{"a": {"x": [1, 2]}, "b": [{"x": [1, 2]}, {"c": {"x": [1, 2]}}]}');
  });
});
