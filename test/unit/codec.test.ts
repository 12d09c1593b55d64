import { describe, expect, it } from 'vitest';
import { pack } from '../../src/salt/codec/pack.js';
import { IncompleteMsgpack, InvalidMsgpack, unpack, unpackAt } from '../../src/salt/codec/unpack.js';
import { Float64 } from '../../src/salt/codec/values.js';
import { encodeClearRequest } from '../../src/salt/request-channel.js';
import { allFixtures, bytesOf, loadFixture, toWireValue, type RecordedMessage } from '../support/fixtures.js';

/** Every request and reply recorded on a real master's request channel. */
function recordedMessages(): Array<[string, RecordedMessage]> {
  const out: Array<[string, RecordedMessage]> = [];
  for (const f of allFixtures()) {
    if (f.case === 'req_not_msgpack') continue;
    if (f.request?.payload?.b64) out.push([`${f.case} request`, f.request.payload]);
    if (f.reply?.b64) out.push([`${f.case} reply`, f.reply]);
    const exchanges = (f['exchanges'] ?? []) as Array<{ request?: RecordedMessage; reply?: RecordedMessage }>;
    exchanges.forEach((ex, i) => {
      if (ex.request?.b64) out.push([`${f.case} exchange ${i} request`, ex.request]);
      if (ex.reply?.b64) out.push([`${f.case} exchange ${i} reply`, ex.reply]);
    });
  }
  return out;
}

/** JSON view of decoded values, with bytes shown the way the fixtures show them. */
function asFixtureJson(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return Number(v);
      if (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer') {
        return { $bytes_b64: Buffer.from((v as { data: number[] }).data).toString('base64') };
      }
      return v;
    }),
  );
}

describe('request channel codec against recorded master traffic', () => {
  const messages = recordedMessages();

  it('covers the recorded corpus', () => {
    expect(messages.length).toBeGreaterThan(150);
  });

  it.each(messages)('%s: re-encodes to the exact recorded bytes', (_name, message) => {
    expect(pack(toWireValue(message.decoded), { useBinType: false }).toString('base64')).toBe(message.b64);
  });

  it.each(messages)('%s: decodes to the recorded value', (_name, message) => {
    expect(asFixtureJson(unpack(bytesOf(message)))).toEqual(message.decoded);
  });

  it('wraps a load in the clear envelope byte for byte (req_ping_echo)', () => {
    const f = loadFixture('req_ping_echo');
    const decoded = f.request?.payload.decoded as { load: Record<string, string | number> };
    expect(encodeClearRequest(decoded.load).toString('hex')).toBe(f.request?.payload.hex);
  });
});

describe('pack', () => {
  it('writes strings of 32..255 bytes as raw16 on the request channel and str8 on the bus', () => {
    const s = 'x'.repeat(64);
    expect(pack(s, { useBinType: false }).subarray(0, 3).toString('hex')).toBe('da0040');
    expect(pack(s, { useBinType: true }).subarray(0, 2).toString('hex')).toBe('d940');
  });

  it('writes bytes as bin only when useBinType is on', () => {
    const b = Buffer.from([0, 0xff]);
    expect(pack(b, { useBinType: true }).toString('hex')).toBe('c40200ff');
    expect(pack(b, { useBinType: false }).toString('hex')).toBe('a200ff');
  });

  it('chooses the shortest integer form like Python msgpack', () => {
    const hex = (v: number | bigint) => pack(v, { useBinType: true }).toString('hex');
    expect(hex(0)).toBe('00');
    expect(hex(127)).toBe('7f');
    expect(hex(128)).toBe('cc80');
    expect(hex(-1)).toBe('ff');
    expect(hex(-33)).toBe('d0df');
    expect(hex(65536)).toBe('ce00010000');
    expect(hex(2 ** 32)).toBe('cf0000000100000000');
    expect(hex(-(2 ** 33))).toBe('d3fffffffe00000000');
    expect(hex(2n ** 63n)).toBe('cf8000000000000000');
  });

  it('writes floats as float64, and integral Python floats when asked', () => {
    expect(pack(1.5, { useBinType: true }).toString('hex')).toBe('cb3ff8000000000000');
    expect(pack(new Float64(3), { useBinType: true }).toString('hex')).toBe('cb4008000000000000');
  });

  it('keeps map insertion order, skips undefined members, and writes Maps with any keys', () => {
    expect(unpack(pack({ b: 1, a: 2, skip: undefined }, { useBinType: true }))).toEqual({ b: 1, a: 2 });
    const m = new Map<string, number>([
      ['2', 1],
      ['1', 2],
    ]);
    expect(pack(m, { useBinType: true }).toString('hex')).toBe('82a13201a13102');
  });
});

describe('unpack', () => {
  it('keeps bytes that are not UTF-8 as bytes and decodes the rest as strings', () => {
    expect(unpack(Buffer.from('a2c3a9', 'hex'))).toBe('é');
    expect(unpack(Buffer.from('a200ff', 'hex'))).toEqual(Buffer.from([0, 0xff]));
  });

  it('reads text of every length the same whether it is ASCII, other UTF-8 or not UTF-8 at all', () => {
    const decoder = new TextDecoder('utf-8', { fatal: true });
    for (const length of [0, 1, 23, 24, 25, 31, 32, 200, 70_000]) {
      for (const bytes of [
        Buffer.alloc(length, 0x61),
        Buffer.concat([Buffer.alloc(Math.max(0, length - 2), 0x62), Buffer.from('é')]),
        Buffer.concat([Buffer.alloc(Math.max(0, length - 1), 0x63), Buffer.from([0xff])]),
        Buffer.concat([Buffer.from([0xc3]), Buffer.alloc(Math.max(0, length - 1), 0x64)]),
      ]) {
        let expected: string | Buffer;
        try {
          expected = decoder.decode(bytes);
        } catch {
          expected = bytes;
        }
        // str family (raw on the request channel) and bin read as text (Salt's raw=True reader).
        expect(unpack(pack(bytes, { useBinType: false }))).toEqual(expected);
        expect(unpack(pack(bytes, { useBinType: true }), { binAsString: true })).toEqual(expected);
      }
    }
  });

  it('gives bin values as views into the buffer only when asked', () => {
    const buf = pack({ body: Buffer.from([1, 2, 3]) }, { useBinType: true });
    const copied = (unpack(buf) as { body: Buffer }).body;
    const viewed = (unpack(buf, { binViews: true }) as { body: Buffer }).body;
    expect([...copied]).toEqual([1, 2, 3]);
    expect([...viewed]).toEqual([1, 2, 3]);
    buf[buf.length - 1] = 9;
    expect([...viewed]).toEqual([1, 2, 9]);
    expect([...copied]).toEqual([1, 2, 3]);
  });

  it('returns 64-bit integers as numbers when safe and bigint otherwise', () => {
    expect(unpack(Buffer.from('cf0000000100000000', 'hex'))).toBe(2 ** 32);
    expect(unpack(Buffer.from('cf8000000000000000', 'hex'))).toBe(2n ** 63n);
  });

  it('reads Salt datetime extensions (type 78) as their text', () => {
    const text = Buffer.from('20261123T08:31:54.205775');
    const ext = Buffer.concat([Buffer.from([0xc7, text.length, 78]), text]);
    expect(unpack(ext)).toBe('20261123T08:31:54.205775');
  });

  it('signals truncated input as incomplete and garbage as invalid', () => {
    expect(() => unpack(Buffer.from('82a46865', 'hex'))).toThrow(IncompleteMsgpack);
    expect(() => unpack(Buffer.from('c1', 'hex'))).toThrow(InvalidMsgpack);
    expect(() => unpack(Buffer.from('0101', 'hex'))).toThrow(InvalidMsgpack);
    expect(() => unpack(Buffer.from('dd7fffffff', 'hex'))).toThrow(IncompleteMsgpack);
  });

  it('does not let a __proto__ key reach the prototype', () => {
    const value = unpack(pack(new Map([['__proto__', { polluted: true }]]), { useBinType: true })) as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });

  it('builds null-prototype maps: Object.prototype member names are plain keys, absent ones read as undefined', () => {
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
    const value = unpack(pack(new Map(names.map((name) => [name, { [name]: name }])), { useBinType: true })) as Record<
      string,
      unknown
    >;
    expect(Object.getPrototypeOf(value)).toBeNull();
    expect(Object.keys(value)).toEqual(names);
    for (const name of names) expect(Object.getOwnPropertyDescriptor(value, name)?.value).toEqual({ [name]: name });
    const empty = unpack(pack({}, { useBinType: true })) as Record<string, unknown>;
    for (const name of names.slice(1)) expect(empty[name]).toBeUndefined();
    // What it decodes, it encodes again byte for byte; and JSON sees the same keys.
    const bytes = pack(new Map(names.map((name) => [name, 1])), { useBinType: true });
    expect(pack(unpack(bytes), { useBinType: true })).toEqual(bytes);
    expect(JSON.stringify(unpack(bytes))).toBe(JSON.stringify(Object.fromEntries(names.map((name) => [name, 1]))));
  });

  it('reports where a value ends inside a longer buffer', () => {
    expect(unpackAt(Buffer.from('01a16102', 'hex'), 1)).toEqual({ value: 'a', end: 3 });
  });
});

describe('integers past msgpack 64-bit range', () => {
  it.each([2n ** 64n, 20261125165956520000n, -(2n ** 63n) - 1n, 10n ** 30n])(
    'packs %s as its decimal text, as salt.payload.dumps does',
    (value) => {
      expect(pack(value, { useBinType: false })).toEqual(pack(value.toString(), { useBinType: false }));
      expect(pack([value], { useBinType: true })).toEqual(pack([value.toString()], { useBinType: true }));
    },
  );

  it('keeps the edges of the range as integers', () => {
    expect(pack(2n ** 64n - 1n, { useBinType: false }).toString('hex')).toBe('cfffffffffffffffff');
    expect(pack(-(2n ** 63n), { useBinType: false }).toString('hex')).toBe('d38000000000000000');
  });
});

describe('floats from the wire', () => {
  it('keeps an integral float a float (Float64), so that it is written 1.0', () => {
    expect(unpack(pack([new Float64(1), 2.5, new Float64(-0)], { useBinType: false }))).toEqual([
      new Float64(1),
      2.5,
      new Float64(-0),
    ]);
    expect(unpack(Buffer.from('ca3f800000', 'hex'))).toEqual(new Float64(1));
  });
});
