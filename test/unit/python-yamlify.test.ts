import { describe, expect, it } from 'vitest';
import { yamlifyArg } from '../../src/python/yamlify.js';

// Cases from Salt's tests/pytests/unit/utils/test_args.py::test_yamlify_arg plus
// docs/routes.md "Request bodies".
describe('yamlifyArg (salt.utils.args.yamlify_arg)', () => {
  it('returns non-strings unchanged (same instance)', () => {
    for (const item of [true, false, null, 123, 45.67, ['foo'], { foo: 'bar' }, undefined]) {
      expect(yamlifyArg(item)).toBe(item);
    }
  });

  it.each(['', '\t', ' ', '   ', '---', '--- ', '...', ' ...'])(
    'keeps blank strings and document markers: %j',
    (item) => {
      expect(yamlifyArg(item)).toBe(item);
    },
  );

  it.each(['1_2', '1_2_3', ' 1_000 ', '_'])('keeps digits-and-underscores strings: %j', (item) => {
    expect(yamlifyArg(item)).toBe(item);
  });

  it.each(['foo\t\nbar', 'a\tb', '{x: 1}\n', 'k\r'])('keeps strings with a tab, CR or LF: %j', (item) => {
    expect(yamlifyArg(item)).toBe(item);
  });

  it('loads "None" as null', () => {
    expect(yamlifyArg('None')).toBeNull();
  });

  it('loads mappings only when the text starts with "{"', () => {
    expect(yamlifyArg('{x: 1}')).toStrictEqual({ x: 1 });
    expect(yamlifyArg('{"foo": "bar"}')).toStrictEqual({ foo: 'bar' });
    expect(yamlifyArg('foo: bar')).toBe('foo: bar');
    expect(yamlifyArg(' {x: 1}')).toBe(' {x: 1}');
  });

  it('loads sequences only when the text starts with "["', () => {
    expect(yamlifyArg('[a,b]')).toStrictEqual(['a', 'b']);
    expect(yamlifyArg('["foo", "bar"]')).toStrictEqual(['foo', 'bar']);
    expect(yamlifyArg('- foo')).toBe('- foo');
  });

  it('keeps name=value strings as strings', () => {
    expect(yamlifyArg('k=v')).toBe('k=v');
    expect(yamlifyArg('pip=1.1')).toBe('pip=1.1');
  });

  it('loads numbers, booleans, null and strings with YAML 1.1 rules', () => {
    expect(yamlifyArg('123')).toBe(123);
    expect(yamlifyArg('45.67')).toBe(45.67);
    expect(yamlifyArg('foo')).toBe('foo');
    expect(yamlifyArg('yes')).toBe(true);
    expect(yamlifyArg('Off')).toBe(false);
    expect(yamlifyArg('y')).toBe('y');
    expect(yamlifyArg('~')).toBeNull();
    expect(yamlifyArg('1:20')).toBe(80);
    expect(yamlifyArg('.inf')).toBe(Infinity);
    expect(yamlifyArg('0x1F')).toBe(31);
    expect(yamlifyArg("'quoted'")).toBe('quoted');
  });

  it('reads 0755 as 755, as Salt’s loader does (leading zeros stripped)', () => {
    expect(yamlifyArg('0755')).toBe(755);
  });

  it('keeps a 20-digit jid exact', () => {
    expect(yamlifyArg('20261123080812269072')).toBe(20261123080812269072n);
  });

  it('keeps "#" text unless it loads to something other than a string or null', () => {
    expect(yamlifyArg('# hash at beginning')).toBe('# hash at beginning');
    expect(yamlifyArg('Hello world! # hash elsewhere')).toBe('Hello world! # hash elsewhere');
    expect(yamlifyArg('#')).toBe('#');
    expect(yamlifyArg('["foo", "bar", "###"]')).toStrictEqual(['foo', 'bar', '###']);
    expect(yamlifyArg('{"foo": "###"}')).toStrictEqual({ foo: '###' });
    expect(yamlifyArg('12 # comment')).toBe(12);
    // The '#' branch returns any non-string result, even a mapping not written with braces.
    expect(yamlifyArg('a: 1 # comment')).toStrictEqual({ a: 1 });
  });

  it('keeps "|" and "!" themselves', () => {
    expect(yamlifyArg('|')).toBe('|');
    expect(yamlifyArg('!')).toBe('!');
  });

  it('falls back to the original string for dates, binary, sets and bad YAML', () => {
    expect(yamlifyArg('2026-11-23')).toBe('2026-11-23');
    expect(yamlifyArg('!!binary aGVsbG8=')).toBe('!!binary aGVsbG8=');
    expect(yamlifyArg('!!set {a, b}')).toBe('!!set {a, b}');
    expect(yamlifyArg('!!omap [{a: 1}]')).toBe('!!omap [{a: 1}]');
    expect(yamlifyArg('[unclosed')).toBe('[unclosed');
    expect(yamlifyArg('{a: 1, a: 2}')).toBe('{a: 1, a: 2}');
    expect(yamlifyArg('@jobs')).toBe('@jobs');
    expect(yamlifyArg('*alias')).toBe('*alias');
  });
});
