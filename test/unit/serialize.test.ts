import { describe, expect, it } from 'vitest';
import { Float64 } from '../../src/salt/codec/values.js';
import { serialize, toPythonJson } from '../../src/http/serialize.js';
import { dictFrom } from '../../src/dict.js';

describe('toPythonJson (json.dumps as salt-api calls it)', () => {
  it("uses Python's separators and no trailing newline", () => {
    expect(toPythonJson({ return: 'Welcome', clients: ['local', 'runner'] })).toBe(
      '{"return": "Welcome", "clients": ["local", "runner"]}',
    );
    expect(toPythonJson([[1, 2], [], {}, { a: null, b: true }])).toBe('[[1, 2], [], {}, {"a": null, "b": true}]');
  });

  it('leaves separators inside strings and keys alone', () => {
    const value = { 'k:,"x"': 'a,b:c "q" \\ ,: \\"' };
    expect(toPythonJson(value)).toBe('{"k:,\\"x\\"": "a,b:c \\"q\\" \\\\ ,: \\\\\\""}');
    expect(JSON.parse(toPythonJson(value))).toEqual(value);
  });

  it('writes non-ASCII text raw', () => {
    expect(toPythonJson({ name: 'Zoë ☃ 😀' })).toBe('{"name": "Zoë ☃ 😀"}');
  });

  it('escapes control characters like Python', () => {
    expect(toPythonJson('a\nb\u0001')).toBe('"a\\nb\\u0001"');
  });

  it('writes bigint as digits', () => {
    expect(toPythonJson({ jid: 20261123080812269072n, n: -5n })).toBe('{"jid": 20261123080812269072, "n": -5}');
  });

  it('writes bytes that are UTF-8 as text and other bytes as $bytes_b64', () => {
    expect(toPythonJson({ ok: Buffer.from('héllo') })).toBe('{"ok": "héllo"}');
    expect(toPythonJson({ raw: Buffer.from([0xff, 0x00, 0xfe]) })).toBe('{"raw": {"$bytes_b64": "/wD+"}}');
    expect(toPythonJson([new Uint8Array([0xc3])])).toBe('[{"$bytes_b64": "ww=="}]');
  });

  it('writes floats as Python does, including forced floats and non-finite values', () => {
    expect(toPythonJson({ start: 1795421108.1979866 })).toBe('{"start": 1795421108.1979866}');
    expect(toPythonJson({ start: new Float64(1795421108) })).toBe('{"start": 1795421108.0}');
    expect(toPythonJson([new Float64(0.5), NaN, Infinity, -Infinity])).toBe('[0.5, NaN, Infinity, -Infinity]');
  });

  it('never mistakes real strings for its internal markers', () => {
    const value = { '\u0000r1': '\u0000r2', list: ['\u0000s', '\u0000'] };
    const json = toPythonJson(value);
    expect(json).toBe('{"\\u0000r1": "\\u0000r2", "list": ["\\u0000s", "\\u0000"]}');
    expect(JSON.parse(json)).toEqual(value);
  });

  it('never mistakes bytes that decode to a marker-like string for a marker', () => {
    const bytes = { raw: Buffer.from('\u0000r12', 'utf8'), nul: Uint8Array.from([0]), list: [Buffer.from('\u0000s')] };
    const json = toPythonJson(bytes);
    expect(json).toBe('{"raw": "\\u0000r12", "nul": "\\u0000", "list": ["\\u0000s"]}');
    expect(JSON.parse(json)).toEqual({ raw: '\u0000r12', nul: '\u0000', list: ['\u0000s'] });
  });

  it('writes Maps as objects with their keys as text', () => {
    expect(
      toPythonJson(
        new Map<unknown, unknown>([
          [1, 'a'],
          [null, 'b'],
          ['k', [1]],
        ]),
      ),
    ).toBe('{"1": "a", "null": "b", "k": [1]}');
  });

  it('writes a bare undefined as null and drops undefined keys', () => {
    expect(toPythonJson(undefined)).toBe('null');
    expect(toPythonJson({ a: undefined, b: 1 })).toBe('{"b": 1}');
  });

  it('handles scalars at the top level', () => {
    expect(toPythonJson('x, y: z')).toBe('"x, y: z"');
    expect(toPythonJson(42)).toBe('42');
    expect(toPythonJson(null)).toBe('null');
  });
});

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
});
