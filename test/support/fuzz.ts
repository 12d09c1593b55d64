/**
 * fast-check generators of hostile request input, shared by the parser and route fuzz suites, and the
 * seeds and run counts of every property test.
 */
import fc from 'fast-check';
import { binaryUnit } from './binary-unit.js';
import { CAMPAIGN_SEED, FUZZ_SCALE } from './fuzz-scale.js';
import { deepJson, yamlBomb } from './hostile.js';

export { fuzzTimeout } from './fuzz-scale.js';

/**
 * fast-check's seed and run count for one property. In `npm test` the property runs `runs` times from
 * its own fixed `seed`: the same inputs on every machine, in a time that fits the suite. Under
 * `npm run fuzz` it runs FUZZ_SCALE times as often from FUZZ_SEED mixed with its own seed (so that
 * properties sharing a generator still see different inputs); `FUZZ_SEED=<n> npm run fuzz` replays a
 * campaign.
 */
export function fuzzRuns(seed: number, runs: number): { seed: number; numRuns: number } {
  return {
    seed: CAMPAIGN_SEED === undefined ? seed : (CAMPAIGN_SEED + seed) | 0,
    numRuns: runs * FUZZ_SCALE,
  };
}

/**
 * A stopwatch of the CPU time this thread spends, in milliseconds: what a per-call bound of the fuzzers
 * measures, as wall time would also count the time that other processes of a busy machine had the CPU.
 */
export function threadCpuStopwatch(): () => number {
  const before = process.threadCpuUsage();
  return () => {
    const spent = process.threadCpuUsage(before);
    return (spent.user + spent.system) / 1000;
  };
}

/** Keys that have bitten JavaScript code before. */
export const nastyKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  '',
  '\u0000',
  'a.b',
  '$where',
);

export const hugeNumberText = fc.constantFrom(
  '1e999999',
  '-1e999999',
  '9'.repeat(400),
  '123456789012345678901234567890',
  '0x' + 'f'.repeat(64),
  '1_000_000_000_000_000_000',
  '-0',
  'NaN',
  '.inf',
  '0o777',
  '1:20:30',
);

/** Small JSON-able values with hostile keys and scalars mixed in. */
export const jsonish: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 5e-324),
    fc.string({ unit: binaryUnit, maxLength: 20 }),
    nastyKey,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), nastyKey), tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** Text that a YAML or JSON reader may choke on. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: binaryUnit, maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom(
      '[',
      ']',
      '{',
      '}',
      '&a ',
      '*a',
      ',',
      ':',
      '-',
      ' ',
      '\n',
      '"',
      "'",
      '!!',
      '<<',
      '#',
      '\u0000',
      'x',
    ),
    maxLength: 200,
  }),
  fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
    .map(([levels, fanout, flow]) => yamlBomb(levels, fanout, flow)),
  fc.integer({ min: 50, max: 150_000 }).map((depth) => deepJson(depth)),
  fc.integer({ min: 50, max: 50_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.integer({ min: 50, max: 20_000 }).map((depth) => `${'- '.repeat(depth)}x`),
  fc.constantFrom(
    'a: &a [*a]',
    '&a {x: *a}',
    '<<: *nope',
    '!!binary "%%%"',
    '!!python/object:os.system x',
    '? [a]\n: b',
    '--- a\n--- b',
  ),
  hugeNumberText,
  fc.tuple(nastyKey, jsonish).map(([key, value]) => `{${JSON.stringify(key)}: ${JSON.stringify(value) ?? 'null'}}`),
  jsonish.map((value) => JSON.stringify(value) ?? 'null'),
);

/** Bytes, not always UTF-8: lone continuation bytes, overlong forms, NULs. */
export const hostileBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  hostileText.map((text) =>
    Buffer.concat([Buffer.from(text, 'utf8'), Buffer.from([0xc0, 0x80, 0xff, 0x00, 0xed, 0xa0, 0x80])]),
  ),
);

/** Urlencoded forms whose fields are hostile text, `arg`/`kwarg` included (they are yamlified). */
export const hostileForm: fc.Arbitrary<string> = fc
  .array(
    fc.tuple(
      fc.oneof(fc.constantFrom('arg', 'kwarg', 'client', 'fun', 'tgt', 'mid', 'timeout', 'username'), nastyKey),
      hostileText,
    ),
    {
      maxLength: 5,
    },
  )
  .map((fields) => fields.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&'));
