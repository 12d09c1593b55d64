import { describe, expect, it } from 'vitest';
import type { SaltEvent } from '../../src/salt/event-frame.js';
import { EventRing } from '../../src/http/event-ring.js';

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
