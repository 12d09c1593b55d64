import { describe, expect, it, vi } from 'vitest';

const decodeAttempts = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../src/salt/codec/unpack.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/salt/codec/unpack.js')>();
  return {
    ...actual,
    unpackAt: (...args: Parameters<typeof actual.unpackAt>) => {
      decodeAttempts.count++;
      return actual.unpackAt(...args);
    },
  };
});

const { encodeEventFrame, EventFrameReader, MAX_FRAME_BYTES } = await import('../../src/salt/event-frame.js');

function chunksOf(frame: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < frame.length; i += size) out.push(frame.subarray(i, i + size));
  return out;
}

describe('EventFrameReader on a large frame arriving in small TCP chunks', () => {
  const data = { blob: 'x'.repeat(2 * 1024 * 1024), n: 1 };

  it.each(['bare', 'len32'] as const)('%s: decodes it once, not once per chunk', (framing) => {
    const frame = encodeEventFrame('salt/big', data, framing);
    const chunks = chunksOf(frame, 1024);
    const reader = new EventFrameReader();
    decodeAttempts.count = 0;
    const results = chunks.flatMap((chunk) => reader.push(chunk));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ event: { tag: 'salt/big', data: { n: 1 } } });
    // The wrapper's header says how long the frame is: a handful of tries, not one per 1 KiB chunk.
    if (framing === 'bare') expect(decodeAttempts.count).toBeLessThan(5);
    expect(chunks.length).toBeGreaterThan(2000);
  });

  it('keeps frames that follow in the same chunk and across chunks', () => {
    const small = (i: number): Buffer => encodeEventFrame(`salt/t/${i}`, { i }, 'bare');
    const stream = Buffer.concat([small(1), encodeEventFrame('salt/big', data, 'bare'), small(2), small(3)]);
    const reader = new EventFrameReader();
    const tags = chunksOf(stream, 777)
      .flatMap((chunk) => reader.push(chunk))
      .map((r) => ('event' in r ? r.event.tag : 'error'));
    expect(tags).toEqual(['salt/t/1', 'salt/big', 'salt/t/2', 'salt/t/3']);
  });

  it('refuses a frame that declares more than the limit before buffering it', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    const prefixed = new EventFrameReader();
    expect(prefixed.push(encodeEventFrame('salt/first', {}, 'len32'))).toHaveLength(1);
    expect(() => prefixed.push(prefix)).toThrow(/exceeds the limit/);
    // A bare wrapper whose bin32 body declares 1 GiB.
    const bare = Buffer.concat([
      Buffer.from('82a468656164 80 a4626f6479 c6'.replace(/ /g, ''), 'hex'),
      Buffer.from([0x40, 0, 0, 0]),
    ]);
    expect(() => new EventFrameReader().push(bare)).toThrow(/larger than/);
  });
});
