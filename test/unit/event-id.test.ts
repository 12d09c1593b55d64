import { describe, expect, it } from 'vitest';
import { encodeEventBody, encodeEventFrame, EventFrameReader, type SaltEvent } from '../../src/salt/event-frame.js';
import { eventIdentifier, stampDigits, stampOfEventId } from '../../src/salt/event-id.js';
import { EventRing } from '../../src/http/streams/event-ring.js';

const STAMP = '2026-12-07T05:17:58.123456+00:00';

describe('event ids from the event and the master', () => {
  it('reads _stamp as 20 digits, microseconds padded, offset or not', () => {
    expect(stampDigits({ _stamp: STAMP })).toBe('20261207051758123456');
    expect(stampDigits({ _stamp: '2026-12-07T05:17:58.5' })).toBe('20261207051758500000');
    expect(stampDigits({ _stamp: '2026-12-07T05:17:58' })).toBe('20261207051758000000');
    expect(stampDigits({ _stamp: 'yesterday' })).toBeUndefined();
    expect(stampDigits({ _stamp: 7 })).toBeUndefined();
    expect(stampDigits({})).toBeUndefined();
  });

  it('names the same bytes alike for one master, and differently for another master or other bytes', () => {
    const body = encodeEventBody('salt/job/1/ret/a', { _stamp: STAMP, return: true });
    const data = { _stamp: STAMP, return: true };
    const one = eventIdentifier('master-key-1');
    const id = one(body, data);
    expect(id).toMatch(/^20261207051758123456-[0-9a-f]{24}$/);
    expect(eventIdentifier('master-key-1')(body, data)).toBe(id);
    expect(eventIdentifier('master-key-2')(body, data)).not.toBe(id);
    const other = encodeEventBody('salt/job/1/ret/a', { _stamp: STAMP, return: false });
    expect(one(other, data)).not.toBe(id);
    expect(one(encodeEventBody('x', {}), {})).toMatch(/^0{20}-[0-9a-f]{24}$/);
    expect(stampOfEventId(id)).toBe('20261207051758123456');
    expect(stampOfEventId('abcdef01-3')).toBeUndefined();
  });

  it('has the frame reader name what it decodes, whatever the framing, and nothing without an identifier', () => {
    const identify = eventIdentifier('m');
    const ids = (['bare', 'len32'] as const).map((framing) => {
      const reader = new EventFrameReader(identify);
      const [result] = reader.push(encodeEventFrame('t', { _stamp: STAMP, n: 1 }, framing));
      return result !== undefined && 'event' in result ? result.event.id : undefined;
    });
    expect(ids[0]).toMatch(/^20261207051758123456-/);
    expect(ids[1]).toBe(ids[0]);
    const [plain] = new EventFrameReader().push(encodeEventFrame('t', { n: 1 }, 'bare'));
    expect(plain !== undefined && 'event' in plain && plain.event.id).toBeUndefined();
  });
});

describe('EventRing with named events', () => {
  const identify = eventIdentifier('master');
  const named = (tag: string, micros: number): SaltEvent => {
    const data = { _stamp: `2026-12-07T05:17:58.${String(micros).padStart(6, '0')}`, tag };
    return { tag, data, id: identify(encodeEventBody(tag, data), data) };
  };

  it("resumes on another process's ring from an id both hold: exactly what followed, nothing before", () => {
    const events = Array.from({ length: 6 }, (_, i) => named(`e/${i}`, i));
    const first = new EventRing({ maxEvents: 100, maxSeconds: 60 });
    const second = new EventRing({ maxEvents: 100, maxSeconds: 60 });
    for (const e of events) first.record(e);
    // The second process read the same bus: its own copies of the same events.
    for (const e of events) second.record({ ...e, data: { ...e.data } });
    const lastSeen = first.idOf(events[2]!)!;
    expect(second.idOf(events[2]!)).toBeUndefined();
    expect(second.resume(lastSeen, () => true)).toMatchObject({
      kind: 'complete',
      events: events.slice(3).map((e) => ({ tag: e.tag })),
    });
  });

  it('says exactly what is gone after an evicted id, and replays what it keeps after the stamp of an unknown one', () => {
    const ring = new EventRing({ maxEvents: 3, maxSeconds: 60 });
    const events = Array.from({ length: 6 }, (_, i) => named(`e/${i}`, i * 10));
    for (const e of events) ring.record(e);
    // Evicted: e/0..e/2 (remembered by id). A client that saw e/1 missed e/2 (gone) and gets e/3..e/5.
    expect(ring.resume(named('e/1', 10).id!, () => true)).toEqual({
      kind: 'gap',
      missedFrom: `${ring.boot}-3`,
      missedTo: `${ring.boot}-3`,
      events: events.slice(3),
    });
    // An id this process never read, stamped between e/3 and e/4: what came after its stamp only.
    const unseen = named('elsewhere', 35).id!;
    expect(ring.resume(unseen, () => true)).toEqual({
      kind: 'gap',
      missedFrom: null,
      missedTo: `${ring.boot}-3`,
      events: events.slice(4),
    });
  });

  it('tells apart two events published with the same bytes', () => {
    const ring = new EventRing({ maxEvents: 10, maxSeconds: 60 });
    const a = named('same', 1);
    const b = { ...a };
    const c = named('after', 2);
    for (const e of [a, b, c]) ring.record(e);
    expect(ring.idOf(b)).toBe(`${ring.idOf(a)}.2`);
    expect(ring.resume(ring.idOf(a)!, () => true)).toEqual({ kind: 'complete', events: [b, c] });
    expect(ring.resume(ring.idOf(b)!, () => true)).toEqual({ kind: 'complete', events: [c] });
  });
});
