import { describe, expect, it } from 'vitest';
import { PYYAML_SAFE_SCHEMA, YamlSyntaxError, loadYaml } from '../../src/python/yaml11.js';

const pyyaml = (text: string): unknown => loadYaml(text, undefined, PYYAML_SAFE_SCHEMA);

describe('loadYaml: YAML 1.1 implicit types (PyYAML resolver)', () => {
  it.each([
    ['~', null],
    ['null', null],
    ['Null', null],
    ['NULL', null],
    ['', null],
    ['nULL', 'nULL'],
  ])('null: %j → %j', (text, expected) => {
    expect(loadYaml(text)).toStrictEqual(expected);
  });

  it('reads an empty mapping value as null', () => {
    expect(loadYaml('a:\nb: ~\n')).toStrictEqual({ a: null, b: null });
  });

  it.each(['yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])('bool true: %s', (text) => {
    expect(loadYaml(text)).toBe(true);
  });

  it.each(['no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])('bool false: %s', (text) => {
    expect(loadYaml(text)).toBe(false);
  });

  it.each(['y', 'Y', 'n', 'N', 'yES', 'oN', 'tRUE'])('not a bool in PyYAML: %s', (text) => {
    expect(loadYaml(text)).toBe(text);
  });

  it.each([
    ['1:20', 80],
    ['-1:20', -80],
    ['1:00:00', 3600],
    ['1_000', 1000],
    ['0b1010', 10],
    ['-0b1_0', -2],
    ['0x1F', 31],
    ['0x_ff', 255],
    ['+12', 12],
    ['-0', 0],
    ['0', 0],
  ])('int: %s → %d', (text, expected) => {
    expect(loadYaml(text)).toBe(expected);
  });

  it.each(['0o17', '08', '1e5', '1:60', '0b2', '0xG', '1__'])('stays a string: %s', (text) => {
    // '1__' is a decimal int in YAML 1.1 ([1-9][0-9_]*); the others match no resolver.
    const expected = text === '1__' ? 1 : text;
    expect(loadYaml(text)).toBe(expected);
  });

  it('keeps integers beyond 2^53 exact as bigint (a 20-digit jid)', () => {
    expect(loadYaml('20261123080812269072')).toBe(20261123080812269072n);
    expect(loadYaml('9007199254740991')).toBe(9007199254740991);
  });

  it('refuses integers Python cannot write in decimal (more than 4,300 digits), before converting them', () => {
    const tooLong = 'Exceeds the limit (4300 digits) for integer string conversion';
    const digits = '9'.repeat(4_300);
    expect(loadYaml(digits)).toBe(BigInt(digits));
    expect(loadYaml(`-${digits}`)).toBe(-BigInt(digits));
    // Salt's loader strips leading zeros first, so they do not count; underscores never do.
    const sevens = '7'.repeat(4_300);
    expect(loadYaml(`000${sevens}`)).toBe(BigInt(sevens));
    expect(() => loadYaml(`000${sevens}7`)).toThrow(tooLong);
    expect(loadYaml(`${digits.slice(0, 10)}_${digits.slice(10)}`)).toBe(BigInt(digits));
    for (const text of [`${digits}9`, `-${digits}9`, '9'.repeat(900_000)])
      expect(() => loadYaml(text)).toThrow(tooLong);
    // Other bases read in linear time; a value of more than 4,300 decimal digits fails wherever Salt writes it.
    const hexBelow = (10n ** 4300n - 1n).toString(16);
    expect(loadYaml(`0x${hexBelow}`)).toBe(10n ** 4300n - 1n);
    for (const text of [`0x${(10n ** 4300n).toString(16)}`, `0b1${'0'.repeat(900_000)}`, `0${'7'.repeat(900_000)}`])
      expect(() => pyyaml(text)).toThrow(tooLong);
    // Sexagesimal: 2,418 places past the first can stay within bounds; 2,419 cannot, and are not computed.
    expect(typeof loadYaml(`1${':0'.repeat(2_418)}`)).toBe('bigint');
    expect(() => loadYaml(`59${':59'.repeat(2_418)}`)).toThrow(tooLong);
    for (const text of [`1${':0'.repeat(2_419)}`, `1${':0'.repeat(400_000)}`, `${digits}9:0`])
      expect(() => loadYaml(text)).toThrow(tooLong);
  });

  it.each([
    ['1.5', 1.5],
    ['1.', 1],
    ['.5', 0.5],
    ['1_000.5', 1000.5],
    ['1.0e+3', 1000],
    ['6.8523015e-5', 6.8523015e-5],
    ['1:20.5', 80.5],
    ['-1:20.5', -80.5],
    ['.inf', Infinity],
    ['.Inf', Infinity],
    ['+.INF', Infinity],
    ['-.inf', -Infinity],
  ])('float: %s → %d', (text, expected) => {
    expect(loadYaml(text)).toBe(expected);
  });

  it.each(['.nan', '.NaN', '.NAN'])('float NaN: %s', (text) => {
    expect(loadYaml(text)).toBeNaN();
  });

  it.each(['1.0e5', '-.5', '.nAn', '-.nan'])('not a float in YAML 1.1: %s', (text) => {
    expect(loadYaml(text)).toBe(text);
  });

  it('merges << keys, explicit keys winning', () => {
    const text = 'base: &b {a: 1, c: 3}\nother:\n  <<: *b\n  a: 2\n';
    expect(loadYaml(text)).toStrictEqual({ base: { a: 1, c: 3 }, other: { a: 2, c: 3 } });
    expect(loadYaml('x: {<<: [{a: 1}, {a: 2, b: 2}]}')).toStrictEqual({ x: { a: 1, b: 2 } });
  });

  it('rejects duplicate keys like SaltYamlSafeLoader ("found conflicting ID")', () => {
    expect(() => loadYaml('a: 1\na: 2\n')).toThrow(YamlSyntaxError);
  });
});

describe('loadYaml: Salt loader quirks versus plain PyYAML', () => {
  it('strips leading zeros of integers (SaltYamlSafeLoader.construct_scalar): 0755 → 755', () => {
    expect(loadYaml('0755')).toBe(755);
    expect(loadYaml('00')).toBe(0);
    expect(loadYaml('0_7')).toBe(7);
    expect(loadYaml('0b11')).toBe(3);
    // Only a leading '0' is stripped, so a signed octal stays octal.
    expect(loadYaml('-0755')).toBe(-493);
  });

  it('plain PyYAML reads 0755 as octal 493', () => {
    expect(pyyaml('0755')).toBe(493);
    expect(pyyaml('+0755')).toBe(493);
  });

  it('keeps timestamps as strings (Salt maps the tag to construct_scalar)', () => {
    expect(loadYaml('2026-11-23')).toBe('2026-11-23');
    expect(loadYaml('when: 2026-11-23 08:08:12.5')).toStrictEqual({ when: '2026-11-23 08:08:12.5' });
    expect(loadYaml('!!timestamp 2001-12-14')).toBe('2001-12-14');
  });

  it('plain PyYAML builds datetimes (JS Date, naive times as UTC)', () => {
    expect(pyyaml('2026-11-23')).toStrictEqual(new Date('2026-11-23T00:00:00Z'));
    expect(pyyaml('2001-12-14t21:59:43.10-05:00')).toStrictEqual(new Date('2001-12-15T02:59:43.100Z'));
    expect(pyyaml('2001-12-14 21:59:43.10 -5')).toStrictEqual(new Date('2001-12-15T02:59:43.100Z'));
    expect(pyyaml('2001-12-15 2:59:43')).toStrictEqual(new Date('2001-12-15T02:59:43Z'));
    expect(() => pyyaml('2001-13-45')).toThrow(YamlSyntaxError);
  });
});

describe('loadYaml: explicit tags PyYAML safe supports', () => {
  it('!!binary → bytes', () => {
    expect(Buffer.from(loadYaml('!!binary aGVsbG8=') as Uint8Array).toString()).toBe('hello');
  });

  it('!!omap and !!pairs → list of [key, value]', () => {
    expect(loadYaml('!!omap [{a: 1}, {b: 2}]')).toStrictEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(loadYaml('!!pairs [{a: 1}, {a: 2}]')).toStrictEqual([
      ['a', 1],
      ['a', 2],
    ]);
  });

  it('!!set → its keys', () => {
    expect(loadYaml('!!set {a, b}')).toStrictEqual(['a', 'b']);
  });

  it('!!str, !!int, !!float, !!bool, !!null and Salt’s !!python/unicode', () => {
    expect(loadYaml('[!!str 123, !!int "12", !!float "1.5", !!bool "yes", !!null ""]')).toStrictEqual([
      '123',
      12,
      1.5,
      true,
      null,
    ]);
    expect(loadYaml('!!python/unicode abc')).toBe('abc');
  });
});

describe('loadYaml errors', () => {
  it('throws a one-line YamlSyntaxError with line and column', () => {
    try {
      loadYaml('a: [1, 2\nb: c: d\n');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(YamlSyntaxError);
      const syntaxError = error as YamlSyntaxError;
      expect(syntaxError.message).not.toContain('\n');
      expect(syntaxError.line).toBeGreaterThan(0);
    }
  });

  it('reads an empty document as null', () => {
    expect(loadYaml('# only a comment\n')).toBeNull();
  });
});

describe('the explicit !!float tag (PyYAML: float() of the text)', () => {
  it('loads any text float() reads, and only that', () => {
    expect(loadYaml('[!!float 0, !!float 1_0, !!float 1e3, !!float inf, !!float -.INF, !!float 1:30]')).toEqual([
      0,
      10,
      1000,
      Infinity,
      -Infinity,
      90,
    ]);
    expect(() => loadYaml('!!float 0x10')).toThrow(YamlSyntaxError);
    expect(() => loadYaml('!!float abc')).toThrow(YamlSyntaxError);
  });
});
