import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventBody, encodeEventFrame, EventFrameReader } from '../../src/salt/event-frame.js';
import { busEvent } from '../support/event-arbitraries.js';
import { fuzzRuns } from '../support/fuzz.js';

/**
 * However the bytes of a stream of frames are cut into chunks, the reader gives back every event's
 * bytes once, in order, and no frame's bytes as another's: a frame begun in one chunk is completed from
 * the next (only its own bytes are joined), and the frames after it are read in place.
 */
describe('EventFrameReader over any cutting of the stream', () => {
  it.each(['bare', 'len32'] as const)('%s: gives back every event, in order', (framing) => {
    fc.assert(
      fc.property(
        fc.array(busEvent, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 40 }),
        (events, cuts) => {
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
          expect(read).toEqual(events.map((e) => encodeEventBody(e.tag, e.data)));
          // Nothing is left over once the stream is whole.
          expect(reader.frames(Buffer.alloc(0))).toEqual([]);
        },
      ),
      fuzzRuns(0xc075, 150),
    );
  });
});
