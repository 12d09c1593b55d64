import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/python/float.js';
import { jsonDumps } from '../../src/python/json-dumps.js';

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
