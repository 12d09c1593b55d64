import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeferredValue, settled } from '../../src/python/deferred.js';
import { undeferred } from '../support/undeferred.js';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { jsonDumpsChunks } from '../../src/python/json-chunks.js';
import { pythonRepr } from '../../src/python/repr.js';
import { dumpYaml, dumpYamlChunks } from '../../src/python/yaml-dump.js';
import { pack as packWith } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { isSaltMap, PackedValue, type SaltMap, type SaltValue } from '../../src/salt/codec/values.js';
import { decodeEventBody, encodeEventBody } from '../../src/salt/event-frame.js';
import { livenessAnswer } from '../../src/salt/clients/local/job-watch.js';
import { saltMap, saltValue } from '../support/event-arbitraries.js';
import { fuzzRuns } from '../support/fuzz.js';

/**
 * Large minion returns held packed (unpack's `deferReturn`, the bus's `deferReturnsOver`): decoded
 * exactly as in place, and written by the JSON and YAML writers with the bytes the decoded value gives.
 */

/** msgpack as the master writes event data (bin for bytes). */
const pack = (value: SaltValue): Buffer => packWith(value, { useBinType: true });

const packed = (value: SaltValue): PackedValue => {
  const data = unpack(pack({ return: value }), { deferReturn: 0 }) as SaltMap;
  expect(data['return']).toBeInstanceOf(PackedValue);
  return data['return'] as PackedValue;
};

describe('a return kept packed', () => {
  it('decodes, each time it is read, to what unpack makes of it in place', () => {
    fc.assert(
      fc.property(saltValue, (value) => {
        const bytes = pack({ return: value, id: 'm1' });
        const eager = unpack(bytes) as SaltMap;
        const data = unpack(bytes, { deferReturn: 0 }) as SaltMap;
        expect(data['id']).toBe('m1');
        const kept = data['return'] as PackedValue;
        expect(kept.value()).toEqual(eager['return']);
        // Packed again, it is the value's own encoding.
        expect(pack(data)).toEqual(pack(eager));
      }),
      fuzzRuns(0xdefe, 200),
    );
  });

  it('stays packed only at the top level, and only from the size asked for', () => {
    const big = 'x'.repeat(3_000);
    const bytes = pack({ return: big, nested: { return: big } });
    const data = unpack(bytes, { deferReturn: 2_048 }) as SaltMap;
    expect(data['return']).toBeInstanceOf(PackedValue);
    expect((data['return'] as PackedValue).size).toBeGreaterThan(3_000);
    expect(data['nested']).toEqual({ return: big });
    const small = unpack(pack({ return: 'x'.repeat(100) }), { deferReturn: 2_048 }) as SaltMap;
    expect(small['return']).toBe('x'.repeat(100));
    expect(unpack(bytes)).toEqual({ return: big, nested: { return: big } });
  });

  it('is refused like any value when its bytes are broken', () => {
    const bytes = pack({ return: ['a', 'b'] });
    // The array's length says three items where two follow.
    const broken = Buffer.from(bytes);
    broken[broken.indexOf(0x92)] = 0x93;
    expect(() => unpack(broken, { deferReturn: 0 })).toThrow();
  });

  it('is kept packed on the bus for minion returns only', () => {
    const value = { return: { big: 'y'.repeat(4_000) }, id: 'm1', retcode: 0 };
    const ret = decodeEventBody(encodeEventBody('salt/job/20261207/ret/m1', value), 2_048);
    expect(ret.data['return']).toBeInstanceOf(PackedValue);
    expect(settled(ret.data['return'])).toEqual(value.return);
    const other = decodeEventBody(encodeEventBody('salt/run/20261207/ret', value), 2_048);
    expect(other.data['return']).toEqual(value.return);
    expect(decodeEventBody(encodeEventBody('salt/job/20261207/ret/m1', value)).data['return']).toEqual(value.return);
  });

  it('is no map, and reads as its value where salt-apid looks inside (liveness answers, repr)', () => {
    const kept = packed([{ jid: '20261207', fun: 'test.sleep' }]);
    expect(isSaltMap(kept)).toBe(false);
    expect(
      livenessAnswer({ kind: 'running', jid: '1', minions: [] } as never, '20261207', { id: 'm1', return: kept }),
    ).toEqual({ id: 'm1', runs: true });
    expect(pythonRepr(packed({ a: 1 }))).toBe("{'a': 1}");
  });
});

describe('the writers', () => {
  /** An answer of this shape with every minion's value packed, and the same answer decoded. */
  const answers = fc
    .array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), saltValue), { maxLength: 6 })
    .map((entries) => {
      const decoded: SaltMap = Object.create(null) as SaltMap;
      const kept: SaltMap = Object.create(null) as SaltMap;
      for (const [id, value] of entries) {
        decoded[id] = unpack(pack(value));
        kept[id] = packed(value);
      }
      return { decoded: { return: [decoded] }, kept: { return: [kept] } };
    });

  it('write a packed return with the bytes of its value, in JSON and YAML, whole and in chunks', () => {
    fc.assert(
      fc.property(answers, fc.integer({ min: 1, max: 256 }), ({ decoded, kept }, chunkChars) => {
        expect(jsonDumps(kept)).toBe(jsonDumps(decoded));
        expect([...jsonDumpsChunks(kept, chunkChars)].join('')).toBe(jsonDumps(decoded));
        expect(dumpYaml(kept)).toBe(dumpYaml(decoded));
        expect([...dumpYamlChunks(kept, chunkChars)].join('')).toBe(dumpYaml(decoded));
      }),
      fuzzRuns(0x7a11, 150),
    );
  });

  it('write scalars that only their holder could tell apart (bytes, integral floats) as in place', () => {
    const value = { raw: Buffer.from([0xff, 0x00]), text: Buffer.from('é'), float: 2.0, big: 2n ** 70n };
    const bytes = pack({ return: value });
    const kept = unpack(bytes, { deferReturn: 0 });
    const eager = unpack(bytes);
    expect(jsonDumps(kept)).toBe(jsonDumps(eager));
    expect(dumpYaml(kept)).toBe(dumpYaml(eager));
  });
});

describe('undeferred', () => {
  it('copies only the containers on the way to a deferred value, keeping their keys', () => {
    const shared = { untouched: [1, 2] };
    const holder = Object.create(null) as Record<string, unknown>;
    Object.defineProperty(holder, '__proto__', {
      value: 'a key',
      enumerable: true,
      writable: true,
      configurable: true,
    });
    holder['ret'] = new DeferredValue(() => ({ made: true }), 10);
    const value = { shared, list: [holder], map: new Map([['k', new DeferredValue(() => 1, 1)]]) };
    const out = undeferred(value) as typeof value & { list: Array<Record<string, unknown>> };
    expect(out).not.toBe(value);
    expect(out.shared).toBe(shared);
    expect(Object.getPrototypeOf(out.list[0])).toBeNull();
    expect(Object.keys(out.list[0]!)).toEqual(['__proto__', 'ret']);
    expect(out.list[0]!['ret']).toEqual({ made: true });
    expect(out.map.get('k')).toBe(1);
    expect(value.list[0]!['ret']).toBeInstanceOf(DeferredValue);
    const plain = { a: [1, { b: 2 }] };
    expect(undeferred(plain)).toBe(plain);
  });

  it('leaves any value without one as it is', () => {
    fc.assert(
      fc.property(saltMap, (value) => {
        expect(undeferred(value)).toBe(value);
      }),
      fuzzRuns(0x0de7, 100),
    );
  });
});
