import { describe, expect, it } from 'vitest';
import {
  assertWithinLimits,
  CONFIG_VALUE_LIMITS,
  REQUEST_VALUE_LIMITS,
  ValueTooLargeError,
} from '../../src/value-bounds.js';
import { loadYaml, SALT_YAML_SCHEMA, YamlSyntaxError } from '../../src/python/yaml11.js';
import { yamlifyArg } from '../../src/python/yamlify.js';
import { jsonNestingExceeds } from '../../src/http/transport/json-depth.js';
import { pack } from '../../src/salt/codec/pack.js';
import type { SaltValue } from '../../src/salt/codec/values.js';
import { PackLimitError, SaltError } from '../../src/salt/errors.js';
import { threadCpuStopwatch } from '../support/fuzz.js';
import { yamlBomb } from '../support/hostile.js';

/** `ms` is CPU time, which a busy machine does not stretch as it does wall time. */
function timed<T>(run: () => T): { value?: T; error?: unknown; ms: number } {
  const cpuMs = threadCpuStopwatch();
  try {
    const value = run();
    return { value, ms: cpuMs() };
  } catch (error) {
    return { error, ms: cpuMs() };
  }
}

const nestedArrays = (depth: number): unknown => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('assertWithinLimits', () => {
  it('counts shared references each time they are reached, visiting each object once', () => {
    const leaf = ['x'.repeat(10)];
    const shared = [leaf, leaf, leaf];
    expect(() =>
      assertWithinLimits([shared, shared], { maxDepth: 10, maxNodes: 100, maxStringChars: 60 }),
    ).not.toThrow();
    expect(() => assertWithinLimits([shared, shared], { maxDepth: 10, maxNodes: 100, maxStringChars: 59 })).toThrow(
      ValueTooLargeError,
    );
    expect(() => assertWithinLimits([shared, shared], { maxDepth: 10, maxNodes: 14, maxStringChars: 100 })).toThrow(
      /more than 14 nodes/,
    );
  });

  it('refuses a value that contains itself', () => {
    const cycle: unknown[] = [];
    cycle.push({ again: cycle });
    expect(() => assertWithinLimits(cycle, REQUEST_VALUE_LIMITS)).toThrow(ValueTooLargeError);
  });

  it('bounds the depth, also of a shared subtree met deeper down', () => {
    expect(() => assertWithinLimits(nestedArrays(100), REQUEST_VALUE_LIMITS)).not.toThrow();
    expect(() => assertWithinLimits(nestedArrays(101), REQUEST_VALUE_LIMITS)).toThrow(/deeper than 100/);
    const deep = nestedArrays(60);
    expect(() => assertWithinLimits([deep, nestedArrays(50)], REQUEST_VALUE_LIMITS)).not.toThrow();
    let wrapped: unknown = deep;
    for (let i = 0; i < 45; i++) wrapped = [wrapped];
    expect(() => assertWithinLimits([deep, wrapped], REQUEST_VALUE_LIMITS)).toThrow(/deeper than 100/);
  });
});

describe('loadYaml bounds', () => {
  it('refuses a 9^9 alias bomb in milliseconds, whatever the schema', () => {
    const { error, ms } = timed(() => loadYaml(yamlBomb()));
    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect((error as Error).message).toMatch(/expands to more than 1000000 nodes/);
    expect(ms).toBeLessThan(500);
    expect(() => loadYaml(yamlBomb(), 'master', SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS)).toThrow(YamlSyntaxError);
  });

  it('refuses an alias bomb of text', () => {
    const text = `a: &a "${'x'.repeat(100_000)}"\nb: [${Array(200).fill('*a').join(', ')}]\n`;
    expect(() => loadYaml(text)).toThrow(/characters of text/);
  });

  it('refuses a recursive alias', () => {
    expect(() => loadYaml('a: &a [*a]')).toThrow(YamlSyntaxError);
    expect(() => loadYaml('&a {x: *a}')).toThrow(YamlSyntaxError);
  });

  it('keeps ordinary anchors, aliases and merge keys', () => {
    const text = 'base: &base {a: 1, b: [x, y]}\nweb:\n  <<: *base\n  c: 3\nlist: [*base, *base]\n';
    expect(loadYaml(text, 'master', SALT_YAML_SCHEMA, CONFIG_VALUE_LIMITS)).toEqual({
      base: { a: 1, b: ['x', 'y'] },
      web: { a: 1, b: ['x', 'y'], c: 3 },
      list: [
        { a: 1, b: ['x', 'y'] },
        { a: 1, b: ['x', 'y'] },
      ],
    });
  });

  it('allows 100 levels of nesting and refuses 101', () => {
    expect(loadYaml(`${'['.repeat(100)}1${']'.repeat(100)}`)).toEqual(nestedArrays(100));
    expect(() => loadYaml(`${'['.repeat(101)}1${']'.repeat(101)}`)).toThrow(YamlSyntaxError);
    const { error, ms } = timed(() => loadYaml(`${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    expect(error).toBeInstanceOf(YamlSyntaxError);
    expect(ms).toBeLessThan(500);
  });
});

describe('yamlifyArg bounds', () => {
  it('leaves an alias bomb as the text it was sent as', () => {
    const bomb = yamlBomb(9, 9, true);
    const { value, ms } = timed(() => yamlifyArg(bomb));
    expect(value).toBe(bomb);
    expect(ms).toBeLessThan(500);
    expect(yamlifyArg('[a, &x b, *x]')).toEqual(['a', 'b', 'b']);
  });
});

describe('jsonNestingExceeds', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonNestingExceeds('[[1]]', 2)).toBe(false);
    expect(jsonNestingExceeds('[[[1]]]', 2)).toBe(true);
    expect(jsonNestingExceeds('{"a": [{"b": 1}]}', 3)).toBe(false);
    expect(jsonNestingExceeds('["[[[[", "\\"[[[["]', 1)).toBe(false);
    expect(jsonNestingExceeds('[1], [2], [3]', 1)).toBe(false);
  });

  it('scans 100,000 levels in a few milliseconds', () => {
    const text = '['.repeat(100_000) + ']'.repeat(100_000);
    const { value, ms } = timed(() => jsonNestingExceeds(text, 100));
    expect(value).toBe(true);
    expect(ms).toBeLessThan(100);
  });
});

describe('pack bounds', () => {
  it('refuses values nested deeper than the decoder accepts, with a typed error', () => {
    expect(() => pack(nestedArrays(512) as SaltValue, { useBinType: true })).not.toThrow();
    const { error } = timed(() => pack(nestedArrays(513) as SaltValue, { useBinType: true }));
    expect(error).toBeInstanceOf(PackLimitError);
    expect((error as SaltError).kind).toBe('too-large');
  });

  it('refuses a value that contains itself instead of overflowing the stack', () => {
    const cycle: SaltValue[] = [];
    cycle.push(cycle);
    expect(() => pack(cycle, { useBinType: false })).toThrow(PackLimitError);
  });

  it('sends integers beyond 64 bits as their decimal text, as salt.payload.dumps does, not a crash', () => {
    expect(pack({ arg: [2n ** 64n] }, { useBinType: false })).toEqual(
      pack({ arg: ['18446744073709551616'] }, { useBinType: false }),
    );
  });

  it('refuses a value whose encoding would pass maxBytes, before building it', () => {
    const shared = ['x'.repeat(1000)];
    const wide: SaltValue[] = Array(100).fill(shared) as SaltValue[];
    expect(() => pack(wide, { useBinType: true, maxBytes: 50_000 })).toThrow(/more than 50000 bytes/);
    expect(pack(wide, { useBinType: true, maxBytes: 200_000 }).length).toBeGreaterThan(100_000);
  });
});
