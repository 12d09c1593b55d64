import { describe, expect, it } from 'vitest';
import { decodeEventBody, encodeEventFrame, EventFrameReader, frameBody } from '../../src/salt/event-frame.js';
import { allFixtures, loadFixture, toWireValue, type RecordedEvent } from '../support/fixtures.js';

function recordedEvents(): Array<[string, RecordedEvent]> {
  const out: Array<[string, RecordedEvent]> = [];
  for (const f of allFixtures()) {
    const events: RecordedEvent[] = [...(f.events ?? [])];
    for (const key of ['event', 'seen_on_pub'] as const) {
      const e = f[key] as RecordedEvent | undefined;
      if (e?.frame_b64) events.push(e);
    }
    events.forEach((e, i) => out.push([`${f.case} #${i} ${e.tag}`, e]));
  }
  return out;
}

function jsonView(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) =>
      v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer'
        ? { $bytes_b64: Buffer.from((v as { data: number[] }).data).toString('base64') }
        : v,
    ),
  );
}

describe('event frames recorded on a real master publisher', () => {
  const events = recordedEvents();

  it('covers the recorded corpus', () => {
    expect(events.length).toBeGreaterThan(100);
  });

  it.each(events)('%s: decodes tag and data', (_name, recorded) => {
    const results = new EventFrameReader().push(Buffer.from(recorded.frame_b64, 'base64'));
    expect(results).toHaveLength(1);
    const [result] = results;
    if (!result || !('event' in result)) throw new Error('frame did not decode');
    expect(result.event.tag).toBe(recorded.tag);
    expect(jsonView(result.event.data)).toEqual(recorded.data);
  });

  it.each(events)('%s: re-encodes to the identical frame', (_name, recorded) => {
    const frame = encodeEventFrame(recorded.tag, toWireValue(recorded.data), recorded.framing);
    expect(frame.toString('base64')).toBe(recorded.frame_b64);
  });
});

describe('EventFrameReader', () => {
  const sample = loadFixture('pub_token_ping').events ?? [];
  const frames = sample.map((e) => Buffer.from(e.frame_b64, 'base64'));
  const bare = Buffer.concat(frames);

  function tagsOf(reader: EventFrameReader, chunks: Buffer[]): string[] {
    return chunks.flatMap((c) => reader.push(c)).map((r) => ('event' in r ? r.event.tag : `error: ${r.error.message}`));
  }

  it('detects a bare stream and decodes back-to-back frames fed a byte at a time', () => {
    const reader = new EventFrameReader();
    const bytes = [...bare].map((b) => Buffer.from([b]));
    expect(tagsOf(reader, bytes)).toEqual(sample.map((e) => e.tag));
    expect(reader.framing).toBe('bare');
  });

  it('detects a length-prefixed stream (3006.26+) from its first byte', () => {
    const withPrefix = Buffer.concat(sample.map((e) => encodeEventFrame(e.tag, toWireValue(e.data), 'len32')));
    const reader = new EventFrameReader();
    expect(tagsOf(reader, [withPrefix.subarray(0, 7), withPrefix.subarray(7)])).toEqual(sample.map((e) => e.tag));
    expect(reader.framing).toBe('len32');
  });

  it('writes the exact bytes a real master reads on its pull socket (bus_fire_via_pull)', () => {
    const f = loadFixture('bus_fire_via_pull');
    const pushed = f['pushed'] as { frame_b64: string; tag: string };
    const seen = f['seen_on_pub'] as RecordedEvent;
    const frame = encodeEventFrame(pushed.tag, toWireValue(seen.data), 'len32');
    expect(frame.toString('base64')).toBe(pushed.frame_b64);
  });

  it.each(['bus_fire_via_pull', 'bus_pull_probe'])('decodes the recorded length-prefixed frame of %s', (name) => {
    const f = loadFixture(name);
    const recorded = (f['pushed'] ?? f) as { frame_b64: string };
    const seen = f['seen_on_pub'] as RecordedEvent;
    const reader = new EventFrameReader();
    const [result] = reader.push(Buffer.from(recorded.frame_b64, 'base64'));
    expect(reader.framing).toBe('len32');
    if (!result || !('event' in result)) throw new Error('frame did not decode');
    expect(result.event.tag).toBe(seen.tag);
    expect(jsonView(result.event.data)).toEqual(seen.data);
  });

  it('rejects a stream that does not start like a Salt frame', () => {
    expect(() => new EventFrameReader().push(Buffer.from('hello'))).toThrow(/not a Salt frame/);
  });

  it('rejects an absurd length prefix instead of buffering it', () => {
    expect(() => new EventFrameReader().push(Buffer.from('7fffffff82', 'hex'))).toThrow();
  });

  it('skips an event whose data does not decode and keeps reading', () => {
    const broken = frameBody(Buffer.from('salt/broken\n\n\xc1', 'latin1'), 'bare');
    const good = frames[0] as Buffer;
    const results = new EventFrameReader().push(Buffer.concat([broken, good]));
    expect(results.map((r) => ('event' in r ? r.event.tag : 'error'))).toEqual(['error', sample[0]?.tag]);
  });

  it('accepts a str-typed body as older masters may send', () => {
    const body = 'salt/str/body\n\n\x80';
    const wrapper = Buffer.concat([
      Buffer.from('82a46865616480a4626f6479', 'hex'),
      Buffer.from([0xa0 | body.length]),
      Buffer.from(body, 'latin1'),
    ]);
    const [r] = new EventFrameReader().push(wrapper);
    expect(r && 'event' in r ? r.event : r).toEqual({ tag: 'salt/str/body', data: {} });
  });

  it('splits tag and data at the first blank line', () => {
    expect(decodeEventBody(Buffer.from('a/b\n\n\x81\xa1k\xa2\n\n', 'latin1'))).toEqual({
      tag: 'a/b',
      data: { k: '\n\n' },
    });
    expect(decodeEventBody(Buffer.from('only/tag'))).toEqual({ tag: 'only/tag', data: {} });
  });
});
