import { describe, expect, it } from 'vitest';
import type { SaltEvent } from '../../src/salt/event-frame.js';
import { EventRing } from '../../src/http/streams/event-ring.js';

const event = (tag: string): SaltEvent => ({ tag, data: {} });

describe('EventRing', () => {
  it('numbers events in order and keeps at most max_events', () => {
    const ring = new EventRing({ maxEvents: 3, maxSeconds: 60 }, () => 0);
    const events = ['a', 'b', 'c', 'd', 'e'].map(event);
    for (const e of events) ring.record(e);
    expect(ring.size).toBe(3);
    expect(events.map((e) => ring.idOf(e))).toEqual([1, 2, 3, 4, 5].map((n) => `${ring.boot}-${n}`));
    expect(ring.resume(`${ring.boot}-3`, () => true)).toEqual({ kind: 'complete', events: events.slice(3) });
    expect(ring.resume(`${ring.boot}-1`, () => true)).toEqual({
      kind: 'gap',
      missedFrom: `${ring.boot}-2`,
      missedTo: `${ring.boot}-2`,
      events: events.slice(2),
    });
  });

  it('forgets events older than max_seconds', () => {
    let now = 0;
    const ring = new EventRing({ maxEvents: 100, maxSeconds: 10 }, () => now);
    ring.record(event('old'));
    now = 5_000;
    const kept = event('kept');
    ring.record(kept);
    now = 12_000;
    const resume = ring.resume(`${ring.boot}-0`, () => true);
    expect(resume).toMatchObject({ kind: 'gap', events: [kept] });
    expect(ring.size).toBe(1);
  });

  it('takes a malformed, foreign or future id as a gap over everything kept', () => {
    const ring = new EventRing({ maxEvents: 10, maxSeconds: 60 });
    const e = event('x');
    ring.record(e);
    for (const id of [
      '',
      'garbage',
      '00000000-1',
      `${ring.boot}-99`,
      `${ring.boot}-1e3`,
      `${ring.boot}-${'9'.repeat(40)}`,
    ]) {
      expect(ring.resume(id, () => true)).toEqual({ kind: 'gap', missedFrom: null, missedTo: null, events: [e] });
    }
  });
});

describe('EventRing byte bound (events_replay.max_bytes)', () => {
  /** An event whose serialised form (`{"data": {"pad": "…"}, "tag": "…"}`) is about `bytes` long. */
  const sized = (tag: string, bytes: number): SaltEvent => ({ tag, data: { pad: 'x'.repeat(bytes) } });

  it('keeps at most max_bytes of serialised events, evicting the oldest first', () => {
    const ring = new EventRing({ maxEvents: 1_000, maxSeconds: 60, maxBytes: 10_000 }, () => 0);
    const events = Array.from({ length: 40 }, (_, i) => sized(`big/${i}`, 1_000));
    for (const e of events) {
      ring.record(e);
      expect(ring.stats().bytes).toBeLessThanOrEqual(10_000);
    }
    const { bytes, events: held, evicted } = ring.stats();
    expect(held).toBe(ring.size);
    expect(held).toBeGreaterThan(5);
    expect(held).toBeLessThan(10);
    expect(bytes).toBeGreaterThan(10_000 - 1_100);
    expect(evicted).toEqual({ count: 0, age: 0, bytes: 40 - held, too_large: 0 });
    // A client that last saw the first event missed some that are gone: the gap, then what is kept.
    const resume = ring.resume(`${ring.boot}-1`, () => true);
    expect(resume).toEqual({
      kind: 'gap',
      missedFrom: `${ring.boot}-2`,
      missedTo: `${ring.boot}-${40 - held}`,
      events: events.slice(40 - held),
    });
    // One that saw everything up to a kept event gets the rest, complete.
    expect(ring.resume(`${ring.boot}-${40 - held}`, () => true)).toEqual({
      kind: 'complete',
      events: events.slice(40 - held),
    });
  });

  it('keeps no event larger than the whole budget, and a resume across it gets the gap', () => {
    const ring = new EventRing({ maxEvents: 1_000, maxSeconds: 60, maxBytes: 10_000 }, () => 0);
    const before = sized('small/1', 100);
    const huge = sized('huge', 20_000);
    const after = sized('small/2', 100);
    for (const e of [before, huge, after]) ring.record(e);
    // The small events stay: one huge event does not empty the ring.
    expect(ring.stats()).toMatchObject({ events: 2, evicted: { count: 0, age: 0, bytes: 0, too_large: 1 } });
    expect(ring.stats().bytes).toBeLessThan(1_000);
    expect(ring.idOf(huge)).toBe(`${ring.boot}-2`);
    expect(ring.resume(`${ring.boot}-1`, () => true)).toEqual({
      kind: 'gap',
      missedFrom: `${ring.boot}-2`,
      missedTo: `${ring.boot}-2`,
      events: [after],
    });
    expect(ring.resume(`${ring.boot}-2`, () => true)).toEqual({ kind: 'complete', events: [after] });
  });

  it('counts evictions by reason and gives the bytes back when events age out', () => {
    let now = 0;
    const ring = new EventRing({ maxEvents: 2, maxSeconds: 10, maxBytes: 1_000_000 }, () => now);
    for (const tag of ['a', 'b', 'c']) ring.record(sized(tag, 100));
    expect(ring.stats().evicted).toMatchObject({ count: 1, age: 0 });
    now = 20_000;
    ring.record(sized('d', 100));
    expect(ring.stats()).toMatchObject({ events: 1, evicted: { count: 1, age: 2 } });
    expect(ring.stats().bytes).toBeGreaterThan(100);
    expect(ring.stats().bytes).toBeLessThan(200);
  });
});
