import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpYaml, dumpYamlChunks } from '../../src/python/yaml-dump.js';
import { saltValue } from '../support/event-arbitraries.js';
import { fuzzRuns } from '../support/fuzz.js';

/** salt-api's YAML in chunks (yaml-dump.ts): the same text as dumpYaml of the whole. */

const joined = (value: unknown, chunkChars?: number): string => [...dumpYamlChunks(value, chunkChars)].join('');

/** Text that folds, breaks lines, needs quotes or a block scalar. */
const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: fc.constantFrom('a', ' ', '\n', 'word ', ':', '#', "'", '-', '\t', 'é'), maxLength: 200 }),
  fc.constantFrom('', ' lead', 'trail ', 'yes', 'null', '1.0', '0x1f', 'a\n\nb', '\n', 'x'.repeat(120)),
);
const value: fc.Arbitrary<unknown> = fc.oneof(
  saltValue,
  text,
  fc.dictionary(text, fc.oneof(text, saltValue), { maxKeys: 4 }),
);

/** The shape of an answer: `{return: [{minion: value}]}`, with other keys and items mixed in. */
const answer = fc.dictionary(
  fc.oneof(fc.constant('return'), text),
  fc.oneof(fc.array(fc.oneof(fc.dictionary(text, value, { maxKeys: 5 }), value), { maxLength: 3 }), value),
  { maxKeys: 3 },
);

describe('dumpYamlChunks', () => {
  it('writes exactly what dumpYaml writes, for answers and anything else', () => {
    fc.assert(
      fc.property(fc.oneof(answer, value), fc.integer({ min: 1, max: 200 }), (v, chunkChars) => {
        expect(joined(v, chunkChars)).toBe(dumpYaml(v));
      }),
      fuzzRuns(0x7a41, 300),
    );
  });

  it("folds, quotes and breaks lines inside a minion's part as in the whole", () => {
    const minions = {
      'minion-1': 'word '.repeat(30),
      'minion-2': 'first\n\n  indented\nlast',
      'minion-3': { nested: ['yes', 'a '.repeat(50), { deep: 'b '.repeat(45) }] },
      'minion-4': [],
      'minion-5': {},
    };
    const value = { return: [minions, 'tail'], other: 1 };
    expect([...dumpYamlChunks(value, 1)].length).toBeGreaterThan(5);
    expect(joined(value, 1)).toBe(dumpYaml(value));
  });

  it('cuts a large answer into many chunks', () => {
    const minions: Record<string, unknown> = {};
    for (let i = 0; i < 5_000; i++)
      minions[`minion-${i}`] = { os: 'Debian', cpu_flags: ['fpu', 'vme'], note: 'x'.repeat(90) };
    const chunks = [...dumpYamlChunks({ return: [minions] })];
    expect(chunks.length).toBeGreaterThan(5);
    expect(chunks.join('')).toBe(dumpYaml({ return: [minions] }));
  });
});
