import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormattedEventsView } from '../../src/http/streams/formatted-events.js';
import { eventJson, sseBlock, streamEvents } from '../../src/http/streams/sse.js';
import { decodeEventBody, encodeEventBody, type SaltEvent } from '../../src/salt/event-frame.js';
import { Subscription } from '../../src/salt/subscription.js';
import { busEvent, prototypeMembers, type BusEvent } from '../support/event-arbitraries.js';
import { fuzzRuns } from '../support/fuzz.js';
import { parseSse } from '../support/sse.js';

/**
 * Seeded property tests of every stream view over random bus events: the format_events state
 * machine (list and map forms), the SSE block and the WebSocket payloads. Each event first goes
 * through the real event body encoding and decoding, so it reaches the views as the bus hands it
 * over (null-prototype maps, bytes, 64-bit integers).
 */

const SEED = 20261125;
/** 150 runs of 8 to 20 events: at least 1,200 events through every view. */
const RUNS = 150;
const events = fc.array(busEvent, { minLength: 8, maxLength: 20 });

/** The event as the bus delivers it; undefined when its tag holds `\n\n` and the frame is not one. */
function overTheWire(event: BusEvent): SaltEvent | undefined {
  try {
    return decodeEventBody(encodeEventBody(event.tag, event.data));
  } catch {
    return undefined;
  }
}

function deliverable(batch: BusEvent[]): SaltEvent[] {
  return batch.map(overTheWire).filter((event): event is SaltEvent => event !== undefined);
}

describe('stream views under random bus events', () => {
  it('format_events (list and map) never throws, every frame is JSON, Object.prototype stays clean', () => {
    const before = prototypeMembers();
    let seen = 0;
    fc.assert(
      fc.property(events, (batch) => {
        const views = [
          new FormattedEventsView({ minionsAs: 'list', refreshGrains: () => undefined }),
          new FormattedEventsView({ minionsAs: 'map', maxJobs: 5 }),
        ];
        for (const event of deliverable(batch)) {
          seen++;
          for (const view of views) {
            for (const frame of view.process(event)) {
              const parsed = JSON.parse(frame) as Record<string, unknown>;
              expect(Object.keys(parsed).length === 1 && ('jobs' in parsed || 'minions' in parsed)).toBe(true);
            }
          }
        }
        expect(prototypeMembers()).toEqual(before);
      }),
      fuzzRuns(SEED, RUNS),
    );
    expect(seen).toBeGreaterThanOrEqual(1_000);
  });

  it('each SSE block is exactly one event whose tag line and JSON data give the event back', () => {
    let seen = 0;
    fc.assert(
      fc.property(events, (batch) => {
        const delivered = deliverable(batch);
        const parsed = parseSse(delivered.map(sseBlock).join(''));
        expect(parsed).toHaveLength(delivered.length);
        delivered.forEach((event, i) => {
          seen++;
          expect(Object.keys(parsed[i] ?? {})).toEqual(['tag', 'data']);
          expect(parsed[i]?.['tag']).not.toMatch(/[\r\n]/);
          const payload = JSON.parse(parsed[i]?.['data'] ?? '') as { tag: string; data: unknown };
          expect(payload.tag).toBe(event.tag);
          // The /ws payloads: the same JSON, alone (rest_tornado) or behind `data: ` (rest_cherrypy).
          expect(eventJson(event)).toBe(parsed[i]?.['data']);
          expect(JSON.parse(`data: ${eventJson(event)}\n\n`.slice('data: '.length))).toEqual(payload);
        });
      }),
      fuzzRuns(SEED + 1, RUNS),
    );
    expect(seen).toBeGreaterThanOrEqual(1_000);
  });

  it('an SSE stream of random events parses back into the same events', async () => {
    let seen = 0;
    await fc.assert(
      fc.asyncProperty(events, async (batch) => {
        const delivered = deliverable(batch);
        const sub = new Subscription();
        const out = new PassThrough();
        let text = '';
        out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        const done = streamEvents({ subscription: sub, out, keepAliveMs: 0 });
        for (const event of delivered) sub.push(event);
        await new Promise((resolve) => setImmediate(resolve));
        sub.close();
        expect(await done).toBe('bus-closed');
        const parsed = parseSse(text);
        // The first block also carries `retry: 400`.
        expect(parsed.map((fields) => fields['tag'] !== undefined)).toEqual(delivered.map(() => true));
        expect(parsed.map((fields) => (JSON.parse(fields['data'] ?? '') as { tag: string }).tag)).toEqual(
          delivered.map((e) => e.tag),
        );
        seen += delivered.length;
      }),
      fuzzRuns(SEED + 2, RUNS),
    );
    expect(seen).toBeGreaterThanOrEqual(1_000);
  });
});
