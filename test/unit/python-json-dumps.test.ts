import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { jsonDumpsChunks } from '../../src/python/json-chunks.js';
import { dumpYaml } from '../../src/python/yaml-dump.js';
import { pack as packWith } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import type { SaltValue } from '../../src/salt/codec/values.js';

describe('jsonDumps (json.dumps as salt-api calls it)', () => {
  it("uses Python's separators and no trailing newline", () => {
    expect(jsonDumps({ return: 'Welcome', clients: ['local', 'runner'] })).toBe(
      '{"return": "Welcome", "clients": ["local", "runner"]}',
    );
    expect(jsonDumps([[1, 2], [], {}, { a: null, b: true }])).toBe('[[1, 2], [], {}, {"a": null, "b": true}]');
  });

  it('leaves separators inside strings and keys alone', () => {
    const value = { 'k:,"x"': 'a,b:c "q" \\ ,: \\"' };
    expect(jsonDumps(value)).toBe('{"k:,\\"x\\"": "a,b:c \\"q\\" \\\\ ,: \\\\\\""}');
    expect(JSON.parse(jsonDumps(value))).toEqual(value);
    // A string that ends in backslashes ends at the quote after them (an even run), not at the next one.
    const trailing = { a: 'x\\', b: ',:', c: '\\\\', d: ['\\"', ':'] };
    expect(jsonDumps(trailing)).toBe('{"a": "x\\\\", "b": ",:", "c": "\\\\\\\\", "d": ["\\\\\\"", ":"]}');
    expect(JSON.parse(jsonDumps(trailing))).toEqual(trailing);
  });

  it('writes non-ASCII text raw', () => {
    expect(jsonDumps({ name: 'Zoë ☃ 😀' })).toBe('{"name": "Zoë ☃ 😀"}');
  });

  it('escapes control characters like Python', () => {
    expect(jsonDumps('a\nb\u0001')).toBe('"a\\nb\\u0001"');
  });

  it('writes bigint as digits', () => {
    expect(jsonDumps({ jid: 20261123080812269072n, n: -5n })).toBe('{"jid": 20261123080812269072, "n": -5}');
  });

  it('writes bytes that are UTF-8 as text and other bytes as $bytes_b64', () => {
    expect(jsonDumps({ ok: Buffer.from('héllo') })).toBe('{"ok": "héllo"}');
    expect(jsonDumps({ raw: Buffer.from([0xff, 0x00, 0xfe]) })).toBe('{"raw": {"$bytes_b64": "/wD+"}}');
    expect(jsonDumps([new Uint8Array([0xc3])])).toBe('[{"$bytes_b64": "ww=="}]');
  });

  it('writes floats as Python does, including forced floats and non-finite values', () => {
    expect(jsonDumps({ start: 1795421108.1979866 })).toBe('{"start": 1795421108.1979866}');
    expect(jsonDumps({ start: new Float64(1795421108) })).toBe('{"start": 1795421108.0}');
    expect(jsonDumps([new Float64(0.5), NaN, Infinity, -Infinity])).toBe('[0.5, NaN, Infinity, -Infinity]');
  });

  it('never mistakes real strings for its internal markers', () => {
    const value = { '\u0000r1': '\u0000r2', list: ['\u0000s', '\u0000'] };
    const json = jsonDumps(value);
    expect(json).toBe('{"\\u0000r1": "\\u0000r2", "list": ["\\u0000s", "\\u0000"]}');
    expect(JSON.parse(json)).toEqual(value);
  });

  it('never mistakes bytes that decode to a marker-like string for a marker', () => {
    const bytes = { raw: Buffer.from('\u0000r12', 'utf8'), nul: Uint8Array.from([0]), list: [Buffer.from('\u0000s')] };
    const json = jsonDumps(bytes);
    expect(json).toBe('{"raw": "\\u0000r12", "nul": "\\u0000", "list": ["\\u0000s"]}');
    expect(JSON.parse(json)).toEqual({ raw: '\u0000r12', nul: '\u0000', list: ['\u0000s'] });
  });

  it('writes Maps as objects with their keys as text', () => {
    expect(
      jsonDumps(
        new Map<unknown, unknown>([
          [1, 'a'],
          [null, 'b'],
          ['k', [1]],
        ]),
      ),
    ).toBe('{"1": "a", "null": "b", "k": [1]}');
  });

  it('writes a bare undefined as null and drops undefined keys', () => {
    expect(jsonDumps(undefined)).toBe('null');
    expect(jsonDumps({ a: undefined, b: 1 })).toBe('{"b": 1}');
  });

  it('handles scalars at the top level', () => {
    expect(jsonDumps('x, y: z')).toBe('"x, y: z"');
    expect(jsonDumps(42)).toBe('42');
    expect(jsonDumps(null)).toBe('null');
  });
});

/** msgpack as Salt 3006+ writes it (bin type for bytes). */
const pack = (value: SaltValue): Buffer => packWith(value, { useBinType: true });

describe('jsonDumps, key order (a dict keeps the order its keys came in)', () => {
  it('writes a decoded dict with index-like keys in the order they came on the wire, and packs it so', () => {
    const wire = pack({
      data: new Map<SaltValue, SaltValue>([
        ['b', 1],
        ['10', 2],
        ['a', 3],
        ['1', 4],
        ['10', 5],
      ]),
    });
    const decoded = unpack(wire) as { data: Record<string, SaltValue> };
    expect(jsonDumps(decoded)).toBe('{"data": {"b": 1, "10": 5, "a": 3, "1": 4}}');
    expect([...jsonDumpsChunks(decoded, 1)].join('')).toBe(jsonDumps(decoded));
    expect(pack(decoded)).toEqual(
      pack({
        data: new Map<SaltValue, SaltValue>([
          ['b', 1],
          ['10', 5],
          ['a', 3],
          ['1', 4],
        ]),
      }),
    );
    // A key added later comes after those that came in; one deleted is left out.
    decoded.data.z = 6;
    delete decoded.data.a;
    expect(jsonDumps(decoded.data)).toBe('{"b": 1, "10": 5, "1": 4, "z": 6}');
  });

  it('writes a Map in insertion order, each key as text, as json.dumps writes a dict', () => {
    const map = new Map<unknown, unknown>([
      [2, 'b'],
      ['a', 1],
      [1, 'x'],
      ['1', 'y'],
      [true, 0],
      [null, 1],
    ]);
    expect(jsonDumps({ map })).toBe('{"map": {"2": "b", "a": 1, "1": "x", "1": "y", "true": 0, "null": 1}}');
    expect([...jsonDumpsChunks({ map }, 3)].join('')).toBe(jsonDumps({ map }));
  });
});

describe('dicts with keys that are not text (a minion may return them), as salt-api writes them', () => {
  it('keeps each key as it came on the wire: bare in YAML, as text in JSON, 1 and "1" both', () => {
    const map = (...entries: Array<[SaltValue, SaltValue]>): Map<SaltValue, SaltValue> => new Map(entries);
    const sent = map(
      ['d', map([10, 'a'], [2, 'b'], [1, 'c'], [-1, 'd'], [0, 'e'], [4294967296, 'f'], [4294967295, 'g'])],
      ['m', map([10, 'a'], ['2', 'b'], [1, 'c'], ['x', 'd'], ['01', 'e'])],
      ['f', map([new Float64(1.5), 'a'], [true, 'b'], [null, 'c'], [16, 'd'], [3, map([20, 'x'], [100, 'y'])])],
      ['c', map([1, 'int'], ['1', 'str'])],
    );
    const decoded = unpack(pack(sent));
    // What Python's json.dumps and PyYAML (libyaml) write for the same dict.
    expect(jsonDumps(decoded)).toBe(
      '{"d": {"10": "a", "2": "b", "1": "c", "-1": "d", "0": "e", "4294967296": "f", "4294967295": "g"}, ' +
        '"m": {"10": "a", "2": "b", "1": "c", "x": "d", "01": "e"}, ' +
        '"f": {"1.5": "a", "true": "b", "null": "c", "16": "d", "3": {"20": "x", "100": "y"}}, "c": {"1": "int", "1": "str"}}',
    );
    expect(dumpYaml(decoded)).toBe(
      "c:\n  1: int\n  '1': str\nd:\n  -1: d\n  0: e\n  1: c\n  2: b\n  10: a\n  4294967295: g\n  4294967296: f\n" +
        'f:\n  1.5: a\n  true: b\n  null: c\n  16: d\n  3:\n    20: x\n    100: y\n' +
        "m:\n  10: a\n  '2': b\n  1: c\n  x: d\n  '01': e\n",
    );
    expect(pack(decoded)).toEqual(pack(sent));
  });
});
