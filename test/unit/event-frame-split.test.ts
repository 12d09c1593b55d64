import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventBody, encodeEventFrame, EventFrameReader, type FrameResult } from '../../src/salt/event-frame.js';
import { undeferred } from '../support/undeferred.js';
import { PackedValue } from '../../src/salt/codec/values.js';
import { busEvent } from '../support/event-arbitraries.js';
import { fuzzRuns } from '../support/fuzz.js';

/**
 * However the bytes of a stream of frames are cut into chunks, the reader gives back every event's
 * bytes once, in order, and no frame's bytes as another's: a frame begun in one chunk is completed from
 * the next (only its own bytes are joined), and the frames after it are read in place.
 */
/** How many values of `value` are kept packed. */
function countPacked(value: unknown): number {
  if (value instanceof PackedValue) return 1;
  if (value === null || typeof value !== 'object') return 0;
  return Object.values(value).reduce((sum: number, v) => sum + countPacked(v), 0);
}

/** Some bus events, and the sizes of the reads their frames' bytes are cut into (used in turn). */
const streamCut = [
  fc.array(busEvent, { minLength: 1, maxLength: 12 }),
  fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 40 }),
] as const;

describe('EventFrameReader over any cutting of the stream', () => {
  it.each(['bare', 'len32'] as const)('%s: gives back every event, in order', (framing) => {
    fc.assert(
      fc.property(...streamCut, (events, cuts) => {
        const stream = Buffer.concat(events.map((e) => encodeEventFrame(e.tag, e.data, framing)));
        const reader = new EventFrameReader();
        // An empty read (a socket gives none, a caller might), first and between others, changes nothing.
        const read: Buffer[] = reader.frames(Buffer.alloc(0));
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = cuts[i % cuts.length]!;
          read.push(...reader.frames(stream.subarray(at, at + size)));
          if (i % 3 === 0) read.push(...reader.frames(Buffer.alloc(0)));
          at += size;
        }
        // As hex: toEqual walks a Buffer byte by byte, and took most of this property's time.
        const hex = (body: Buffer): string => body.toString('hex');
        expect(read.map(hex)).toEqual(events.map((e) => hex(encodeEventBody(e.tag, e.data))));
        // Nothing is left over once the stream is whole.
        expect(reader.frames(Buffer.alloc(0))).toEqual([]);
      }),
      fuzzRuns(0xc075, 150),
    );
  });

  let packedSeen = 0;
  it.each(['bare', 'len32'] as const)('%s, read into one reused buffer: the same events', (framing) => {
    fc.assert(
      fc.property(...streamCut, (events, cuts) => {
        const stream = Buffer.concat(events.map((e) => encodeEventFrame(e.tag, e.data, framing)));
        // As a socket's onread buffer: each chunk is copied into it, and it is scribbled over after each push.
        const shared = Buffer.alloc(400);
        // Returns of 64 bytes or more kept packed, as the bus keeps large ones.
        const reader = new EventFrameReader(undefined, 64, true);
        const read: unknown[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = Math.min(cuts[i % cuts.length]!, stream.length - at);
          stream.copy(shared, 0, at, at + size);
          for (const result of reader.push(shared.subarray(0, size))) {
            read.push('event' in result ? result.event : result.error.message);
            if ('event' in result) packedSeen += countPacked(result.event.data);
          }
          shared.fill(0xc1);
          at += size;
        }
        // Compared after the buffer was scribbled over, packed returns decoded only now: an event that
        // kept a view into the buffer would differ.
        const plain = (r: FrameResult): unknown => ('event' in r ? undeferred(r.event) : r.error.message);
        const whole = new EventFrameReader(undefined, 64).push(stream).map(plain);
        expect(read.map((r) => (typeof r === 'string' ? r : undeferred(r)))).toEqual(whole);
      }),
      fuzzRuns(0xc076, 150),
    );
    // The property went through returns kept packed, not only through plain events.
    expect(packedSeen).toBeGreaterThan(0);
  });
});
