import fc from 'fast-check';
import type { SaltMap, SaltValue } from '../../src/salt/codec/values.js';
import { binaryUnit } from './binary-unit.js';

/**
 * Random bus events for the stream fuzz tests: the tags the formatted view reacts to (job new/ret,
 * presence, key) with ids and jids that are Object.prototype member names, control characters or
 * any unicode, and data of every shape the wire carries (bytes, 64-bit integers, nested maps).
 */

export const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf'] as const;

/** Strings that stress the streams: control characters, unicode, SSE syntax, prototype names. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: binaryUnit, maxLength: 12 }),
  fc.string({
    unit: fc.constantFrom('\r', '\n', '\u0000', '\u007f', '\u2028', ':', ' ', 'a', 'é', '/', '%'),
    maxLength: 10,
  }),
  fc.constantFrom(...PROTO_NAMES, '', 'data: {}', 'tag: x', 'retry: 1', '\r\n\r\n', 'minion-1'),
);

/** A mapping whose keys are own keys even when one is `__proto__`. */
function mapOf(entries: Array<[string, SaltValue]>): SaltMap {
  const map = Object.create(null) as SaltMap;
  for (const [key, value] of entries) map[key] = value;
  return map;
}

const scalar: fc.Arbitrary<SaltValue> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  // NaN and ±Infinity are left out: json.dumps writes them as bare words that JSON parsers refuse.
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 12 }),
);

/** Any event data value, nested a few levels deep. */
export const saltValue: fc.Arbitrary<SaltValue> = fc.letrec<{ value: SaltValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(nastyString, tie('value')), { maxLength: 4 }).map(mapOf),
  ),
})).value;

export const saltMap: fc.Arbitrary<SaltMap> = fc.array(fc.tuple(nastyString, saltValue), { maxLength: 5 }).map(mapOf);

const jid = fc.oneof(fc.stringMatching(/^\d{20}$/), nastyString);
const minionId = nastyString;
/** `minions`, `arg`, `present`: usually a list of ids, sometimes any shape at all. */
const idList = fc.oneof(fc.array(minionId, { maxLength: 5 }), saltValue);

export interface BusEvent {
  tag: string;
  data: SaltMap;
}

const withData = (tag: string, entries: Array<[string, SaltValue]>, extra: SaltMap): BusEvent => ({
  tag,
  data: mapOf([...Object.entries(extra), ...entries]),
});

export const busEvent: fc.Arbitrary<BusEvent> = fc.oneof(
  fc
    .tuple(
      jid,
      minionId,
      saltValue,
      fc.constantFrom<SaltValue>(true, false, 0, 'yes', null),
      fc.constantFrom('test.ping', 'grains.items'),
      saltMap,
    )
    .map(([j, id, ret, success, fun, extra]) =>
      withData(
        `salt/job/${j}/ret/${id}`,
        [
          ['id', id],
          ['jid', j],
          ['return', ret],
          ['retcode', 0],
          ['success', success],
          ['fun', fun],
        ],
        extra,
      ),
    ),
  fc.tuple(jid, idList, saltValue, saltValue, saltMap).map(([j, minions, arg, jidValue, extra]) =>
    withData(
      `salt/job/${j}/new`,
      [
        ['jid', jidValue],
        ['minions', minions],
        ['arg', arg],
        ['fun', 'test.ping'],
        ['tgt', '*'],
      ],
      extra,
    ),
  ),
  fc
    .tuple(fc.constantFrom('present', 'change'), idList, saltMap)
    .map(([kind, present, extra]) => withData(`salt/presence/${kind}`, [['present', present]], extra)),
  fc.tuple(saltValue, fc.constantFrom<SaltValue>('accept', 'delete', 'reject', null), saltMap).map(([id, act, extra]) =>
    withData(
      'salt/key',
      [
        ['id', id],
        ['act', act],
        ['result', true],
      ],
      extra,
    ),
  ),
  fc
    .tuple(fc.array(nastyString, { minLength: 1, maxLength: 6 }), saltMap)
    .map(([segments, data]) => ({ tag: segments.join('/'), data })),
);

/** Object.prototype's own members, to compare before and after. */
export function prototypeMembers(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}
