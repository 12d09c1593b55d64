import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeferredValue } from '../../src/python/deferred.js';
import { Float64 } from '../../src/python/float.js';
import { dumpYaml } from '../../src/python/yaml-dump.js';
import { PYYAML_SAFE_SCHEMA, loadYaml } from '../../src/python/yaml11.js';
import { fuzzRuns } from '../support/fuzz.js';

/** test/fixtures/python/yaml-dump.json, written by yaml_dump_fixture.py from PyYAML's CSafeDumper. */
interface Fixture {
  pyyaml: string;
  libyaml: string;
  cases: Array<{ value: unknown; yaml: string }>;
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/python/yaml-dump.json', import.meta.url), 'utf8'),
) as Fixture;

/**
 * The fixture's tagged JSON as the values salt-apid holds: Float64, bigint, bytes, Maps, and one
 * object wherever the fixture holds one value in several places (`$def` where it is first met).
 */
function decoded(value: unknown, held = new Map<string, unknown>()): unknown {
  const again = (item: unknown): unknown => decoded(item, held);
  if (Array.isArray(value)) return value.map(again);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record.$ref === 'string') return held.get(record.$ref);
  if (Array.isArray(record.$def)) return defined(record.$def as [string, unknown], held);
  if (typeof record.$float === 'string') {
    const number = Number(record.$float.replace('inf', 'Infinity'));
    return Number.isInteger(number) ? new Float64(number) : number;
  }
  if (typeof record.$int === 'string') return BigInt(record.$int);
  if (typeof record.$bytes === 'string') return Buffer.from(record.$bytes, 'base64');
  if (Array.isArray(record.$map)) {
    return new Map((record.$map as Array<[unknown, unknown]>).map(([key, item]) => [again(key), again(item)]));
  }
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(record)) out[key] = again(record[key]);
  return out;
}

/** A list or dict held in several places: made empty and named first, so that it may hold itself. */
function defined([name, inner]: [string, unknown], held: Map<string, unknown>): unknown {
  if (Array.isArray(inner)) {
    const list: unknown[] = [];
    held.set(name, list);
    for (const item of inner) list.push(decoded(item, held));
    return list;
  }
  const dict = Object.create(null) as Record<string, unknown>;
  held.set(name, dict);
  for (const [key, item] of Object.entries(inner as Record<string, unknown>)) dict[key] = decoded(item, held);
  return dict;
}

describe(`dumpYaml against PyYAML ${fixture.pyyaml} (libyaml ${fixture.libyaml})`, () => {
  it('writes every recorded value exactly as salt-api does', () => {
    const failures: string[] = [];
    for (const [index, { value, yaml }] of fixture.cases.entries()) {
      const text = dumpYaml(decoded(value));
      if (text !== yaml) failures.push(`#${index}\n--- PyYAML\n${yaml}--- salt-apid\n${text}`);
    }
    expect(failures.slice(0, 3).join('\n')).toBe('');
    expect(failures).toHaveLength(0);
  });
});

describe('dumpYaml (salt-api YAML responses, docs/routes.md "Responses")', () => {
  it('writes block style, sorted keys, unindented sequences in mappings, trailing newline', () => {
    const body = { return: [{ zeta: 1, alpha: ['a', 'b'], mid: { y: true, x: null } }] };
    expect(dumpYaml(body)).toBe(
      ['return:', '- alpha:', '  - a', '  - b', '  mid:', '    x: null', '    y: true', '  zeta: 1', ''].join('\n'),
    );
  });

  it('single-quotes strings that would read as another type or start with an indicator', () => {
    const body = {
      jid: '20261123080812269072',
      perms: ['.*', '@wheel', '@runner', '@jobs'],
      answers: ['yes', 'No', 'on', '~', 'null', '0755', '1:20', '1.5', '.inf', '2026-11-23', '<<', ''],
      plain: ['y', 'n', 'abc', '08', '1e5'],
    };
    expect(dumpYaml(body)).toBe(
      [
        'answers:',
        "- 'yes'",
        "- 'No'",
        "- 'on'",
        "- '~'",
        "- 'null'",
        "- '0755'",
        "- '1:20'",
        "- '1.5'",
        "- '.inf'",
        "- '2026-11-23'",
        "- '<<'",
        "- ''",
        "jid: '20261123080812269072'",
        'perms:',
        '- .*',
        "- '@wheel'",
        "- '@runner'",
        "- '@jobs'",
        'plain:',
        '- y',
        '- n',
        '- abc',
        '- 08',
        '- 1e5',
        '',
      ].join('\n'),
    );
  });

  it('writes numbers as PyYAML does, keeping floats floats under YAML 1.1', () => {
    const text = dumpYaml({ a: 1795421108.1979866, b: 3, c: 1e21, d: 1e-7, e: NaN, f: -Infinity, g: 10n ** 20n });
    expect(text).toBe(
      'a: 1795421108.1979866\nb: 3\nc: 1.0e+21\nd: 1.0e-07\ne: .nan\nf: -.inf\ng: 100000000000000000000\n',
    );
    expect(loadYaml(text)).toMatchObject({ a: 1795421108.1979866, c: 1e21, d: 1e-7, f: -Infinity });
  });

  it('folds long text at the first space past column 80 and writes unicode raw', () => {
    const long = `${'word '.repeat(30)}end`;
    const text = dumpYaml({ long, name: 'Grüße ☃' });
    expect(text).toBe(`long: ${'word '.repeat(15)}word\n  ${'word '.repeat(14)}end\nname: Grüße ☃\n`);
    expect(loadYaml(text)).toStrictEqual({ long, name: 'Grüße ☃' });
  });

  it('round-trips multi-line strings and leaves out undefined values', () => {
    const text = dumpYaml({ out: 'line 1\nline 2', gone: undefined });
    expect(loadYaml(text)).toStrictEqual({ out: 'line 1\nline 2' });
  });

  it('writes dates like Python’s isoformat and bytes as !!binary', () => {
    expect(dumpYaml({ at: new Date('2026-11-23T08:08:12.269Z') })).toBe('at: 2026-11-23 08:08:12.269000\n');
    expect(dumpYaml({ raw: Buffer.from('hello') })).toBe('raw: !!binary |\n  aGVsbG8=\n');
  });
});

/** Text made of what the emitter treats specially, and long enough runs of words to fold. */
const yamlText = fc.string({
  unit: fc.constantFrom(
    ...'ab01 :-#\'"\\?,[]{}&*!|>%@`.~=<\n\t\r'.split(''),
    'word ',
    'é',
    '😀',
    '\u0085',
    '\ufeff',
    '\u0000',
    '\u00a0',
  ),
  maxLength: 120,
});
const yamlValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    yamlText,
    fc.boolean(),
    fc.constant(null),
    fc.integer(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(yamlText, tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('dumpYaml, read back', () => {
  it('writes text any YAML reader reads back as the same data', () => {
    // LS and PS are left out: YAML 1.1 (PyYAML) reads them as line breaks, YAML 1.2 (js-yaml) does not.
    fc.assert(
      fc.property(yamlValue, (value) => {
        expect(loadYaml(dumpYaml(value), undefined, PYYAML_SAFE_SCHEMA)).toEqual(value);
      }),
      fuzzRuns(0x7a51, 300),
    );
  });
});

describe('dumpYaml, values JSON has no form for', () => {
  it('writes a value held in several places once, with an anchor, and aliases elsewhere (as PyYAML)', () => {
    const loop: Record<string, unknown> = { a: [1] };
    (loop.a as unknown[]).push(loop);
    expect(dumpYaml(loop)).toBe('&id001\na:\n- 1\n- *id001\n');
    const shared = ['x'];
    expect(dumpYaml({ a: shared, b: shared, c: 'x', d: 'x' })).toBe('a: &id001\n- x\nb: *id001\nc: x\nd: x\n');
  });

  it('aliases a deferred value held twice only when it stands for a list or dict', () => {
    const list = new DeferredValue(() => ['x'], 10);
    const text = new DeferredValue(() => 'x', 10);
    expect(dumpYaml({ a: list, b: list, c: text, d: text })).toBe('a: &id001\n- x\nb: *id001\nc: x\nd: x\n');
  });
});

describe('dumpYaml, large values', () => {
  it('writes a mapping of 200,000 keys and a list of 200,000 items (no call takes them as arguments)', () => {
    const jobs = Object.create(null) as Record<string, unknown>;
    for (let i = 0; i < 200_000; i++) jobs[`2026120800000${String(i).padStart(7, '0')}`] = 'test.ping';
    const list = Array.from({ length: 200_000 }, (_, i) => i);
    const text = dumpYaml({ jobs, list });
    expect(text.startsWith("jobs:\n  '20261208000000000000': test.ping\n")).toBe(true);
    expect(text.endsWith('- 199999\n')).toBe(true);
  });
});
