import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/salt/codec/values.js';
import { Readable } from 'node:stream';
import { serialize, serializeBody } from '../../src/http/transport/serialize.js';
import { dictFrom } from '../../src/dict.js';

describe('serialize', () => {
  it('writes JSON for application/json', () => {
    expect(serialize({ a: [1, 2] }, 'application/json')).toBe('{"a": [1, 2]}');
  });

  it("writes salt-api's YAML for application/x-yaml", () => {
    expect(serialize({ return: 'Welcome', clients: ['local', '@jobs'] }, 'application/x-yaml')).toBe(
      "clients:\n- local\n- '@jobs'\nreturn: Welcome\n",
    );
  });

  it('writes null-prototype mappings (keys from the wire) like any other, __proto__ included', () => {
    const value = dictFrom<unknown>([
      ['__proto__', dictFrom([['constructor', 1]])],
      ['toString', 'x'],
      ['a', [dictFrom([['b', 2]])]],
    ]);
    expect(serialize(value, 'application/json')).toBe(
      '{"__proto__": {"constructor": 1}, "toString": "x", "a": [{"b": 2}]}',
    );
    expect(serialize(value, 'application/x-yaml')).toBe('__proto__:\n  constructor: 1\na:\n- b: 2\ntoString: x\n');
  });
});

describe('floats as Python prints them', () => {
  it.each([
    [2.026112516595652e19, '2.026112516595652e+19'],
    [new Float64(20261125165956520000), '2.026112516595652e+19'],
    [new Float64(1e16), '1e+16'],
    [new Float64(100), '100.0'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [2.5, '2.5'],
    [12, '12'],
  ])('JSON: %s → %s', (value, text) => {
    expect(serialize([value], 'application/json')).toBe(`[${text}]`);
  });

  it.each([
    [2.026112516595652e19, '2.026112516595652e+19'],
    [1e-5, '1.0e-05'],
    [0.5, '0.5'],
  ])('YAML: %s → %s', (value, text) => {
    expect(serialize({ v: value }, 'application/x-yaml')).toBe(`v: ${text}\n`);
  });

  it('gives a small answer as one Buffer and a large one as a stream, the same text either way', async () => {
    const small = { return: [{ 'minion-1': true, 'minion-2': 'x'.repeat(1_000) }] };
    const wide = { return: [Object.fromEntries(Array.from({ length: 6_000 }, (_, i) => [`minion-${i}`, true]))] };
    const long = { return: ['y'.repeat(70_000)] };
    for (const mediaType of ['application/json', 'application/x-yaml'] as const) {
      const body = serializeBody(small, mediaType);
      if (!Buffer.isBuffer(body)) throw new Error('a small answer was not one Buffer');
      expect(body.toString('utf8')).toBe(serialize(small, mediaType));
      const streamed = serializeBody(wide, mediaType);
      expect(streamed).toBeInstanceOf(Readable);
      const chunks: Buffer[] = [];
      for await (const chunk of streamed as Readable) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(serialize(wide, mediaType));
      // One long text, past the small bound, written whichever way: the same bytes.
      const single = serializeBody(long, mediaType);
      const pieces: Buffer[] = [];
      if (Buffer.isBuffer(single)) pieces.push(single);
      else for await (const chunk of single) pieces.push(chunk as Buffer);
      expect(Buffer.concat(pieces).toString('utf8')).toBe(serialize(long, mediaType));
    }
  });
});
