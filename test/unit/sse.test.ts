import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { eventJson, sseBlock, streamEvents, tagLineText } from '../../src/http/streams/sse.js';
import { Subscription } from '../../src/salt/subscription.js';
import { parseSse } from '../support/sse.js';

const event = { tag: 'salt/job/1/ret/m1', data: { return: true, id: 'm1' } };

function sink() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('SSE framing', () => {
  it('writes salt-api blocks: tag line, data line with {"data", "tag"}, blank line', () => {
    expect(sseBlock(event)).toBe(
      'tag: salt/job/1/ret/m1\ndata: {"data": {"return": true, "id": "m1"}, "tag": "salt/job/1/ret/m1"}\n\n',
    );
    expect(eventJson(event)).toBe('{"data": {"return": true, "id": "m1"}, "tag": "salt/job/1/ret/m1"}');
  });

  it('serialises an event once however many streams write it (cached per event object)', () => {
    const shared = { tag: 'salt/test/cache', data: { n: 1 } };
    const first = sseBlock(shared);
    // Had it been serialised again, the change would show; a new event object is serialised anew.
    shared.data.n = 2;
    expect(sseBlock(shared)).toBe(first);
    expect(eventJson(shared)).toBe('{"data": {"n": 1}, "tag": "salt/test/cache"}');
    expect(sseBlock({ ...shared })).toContain('"n": 2');
  });

  it('starts with retry: 400 and streams events until the subscription ends', async () => {
    const sub = new Subscription();
    const { out, text } = sink();
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0 });
    sub.push(event);
    sub.push({ tag: 'x', data: {} });
    setTimeout(() => sub.close(), 10);
    await expect(done).resolves.toBe('bus-closed');
    expect(text()).toBe(`retry: 400\n${sseBlock(event)}tag: x\ndata: {"data": {}, "tag": "x"}\n\n`);
  });

  it('sends keep-alive comments on a quiet stream and ends at the token expiry', async () => {
    const sub = new Subscription();
    const { out, text } = sink();
    const reason = await streamEvents({ subscription: sub, out, keepAliveMs: 10, endAt: Date.now() + 55 });
    expect(reason).toBe('expired');
    expect(text().startsWith('retry: 400\n: keepalive\n\n')).toBe(true);
    expect(sub.closed).toBe(true);
  });

  it('keeps streaming for a token that expires beyond the longest timer (24.8 days)', async () => {
    const sub = new Subscription();
    const { out, text } = sink();
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0, endAt: Date.now() + 40 * 24 * 3600 * 1000 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    sub.push(event);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(text()).toBe(`retry: 400\n${sseBlock(event)}`);
    sub.close();
    await expect(done).resolves.toBe('bus-closed');
  });

  it('cuts off a client that stops reading, without holding more than its queue', async () => {
    const sub = new Subscription({ maxQueue: 5 });
    // A writable whose socket never drains: the first write fills it.
    const stuck = new Writable({ highWaterMark: 16, write: () => undefined });
    const done = streamEvents({ subscription: sub, out: stuck, keepAliveMs: 0 });
    for (let i = 0; i < 50; i++) sub.push({ tag: `t/${i}`, data: { i } });
    await expect(done).resolves.toBe('slow-consumer');
    expect(sub.closed).toBe(true);
    expect(sub.pending).toBe(0);
  });

  it('writes a large event in pieces, byte for byte the block a small one gets', async () => {
    const sub = new Subscription();
    const { out, text } = sink();
    const large = { tag: 'salt/large', data: { pad: 'y'.repeat(100_000) } };
    const small = { tag: 'salt/small', data: {} };
    const ids = new Map([
      [large, 'abcdef01-1'],
      [small, 'abcdef01-2'],
    ]);
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0, idOf: (event) => ids.get(event) });
    sub.push(large);
    sub.push(small);
    sub.close();
    await expect(done).resolves.toBe('bus-closed');
    expect(text()).toBe(
      `retry: 400\nid: abcdef01-1\n${sseBlock(large)}id: abcdef01-2\ntag: salt/small\ndata: {"data": {}, "tag": "salt/small"}\n\n`,
    );
  });

  it('stops when the client goes away', async () => {
    const sub = new Subscription();
    const { out } = sink();
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0 });
    setTimeout(() => out.destroy(), 10);
    await expect(done).resolves.toBe('client-closed');
    expect(sub.closed).toBe(true);
  });
});

describe('SSE framing of hostile tags', () => {
  const forged = 'salt/x\r\ndata: {"forged": true}\r\n\r\ntag: salt/forged\rdata: 1\n\nretry: 1';

  it('keeps every tag on its own line: CR, LF and other control characters are percent-encoded', () => {
    for (const tag of [forged, 'a\rb', 'a\nb', 'a\r\nb', 'nul\u0000esc\u001bdel\u007f', '\n', '\r']) {
      const block = sseBlock({ tag, data: { n: 1 } });
      const events = parseSse(`${block}${sseBlock({ tag: 'next', data: {} })}`);
      expect(events).toHaveLength(2);
      expect(Object.keys(events[0] ?? {})).toEqual(['tag', 'data']);
      expect(events[0]?.['tag']).toBe(tagLineText(tag));
      expect(JSON.parse(events[0]?.['data'] ?? '')).toEqual({ data: { n: 1 }, tag });
      expect(eventJson({ tag, data: { n: 1 } })).toBe(events[0]?.['data']);
      expect(events[1]?.['tag']).toBe('next');
    }
    expect(tagLineText('a\r\nb\u0000\u007f')).toBe('a%0D%0Ab%00%7F');
  });

  it('leaves ordinary tags (unicode, spaces, %, colons) byte for byte as salt-api writes them', () => {
    for (const tag of ['salt/job/20261125/ret/m1', 'salt/netapi/hook/déploy/ü', 'a b:c%20d', 'salt/auth']) {
      expect(sseBlock({ tag, data: {} })).toBe(`tag: ${tag}\ndata: {"data": {}, "tag": ${JSON.stringify(tag)}}\n\n`);
    }
  });

  it('escapes control characters inside data keys and values', () => {
    const data = { 'k\r\ndata: x': 'v\n\ndata: y\r', nested: [{ '\r': '\u2028' }] };
    const events = parseSse(sseBlock({ tag: 't', data }));
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]?.['data'] ?? '')).toEqual({ data, tag: 't' });
  });
});

/** A subscription that counts the reactions registered on the promises `whenClosed()` hands out. */
class CountingSubscription extends Subscription {
  reactions = 0;

  override whenClosed(): Promise<Error | undefined> {
    const promise = super.whenClosed().then((err) => err);
    const then = promise.then.bind(promise);
    promise.then = ((onFulfilled, onRejected) => {
      this.reactions++;
      return then(onFulfilled, onRejected);
    }) as typeof promise.then;
    return promise;
  }
}

/** A socket that never takes a write until the test completes it: every write waits for drain. */
function heldSocket() {
  const held: Array<() => void> = [];
  const out = new Writable({
    highWaterMark: 1,
    write: (_chunk, _encoding, callback) => {
      held.push(() => callback());
    },
  });
  return { out, held };
}

/** Polls often: each wait below is a few microtasks long. */
const POLL = { interval: 1, timeout: 5_000 };

describe('SSE back-pressure', () => {
  it('holds one reaction to the end of its subscription however often it waits for drain', async () => {
    const sub = new CountingSubscription({ maxQueue: 10 });
    const { out, held } = heldSocket();
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0 });
    const waits = 50;
    // The preamble's write waits first; then each event's.
    for (let i = 0; i < waits; i++) {
      await vi.waitFor(() => expect(held).toHaveLength(1), POLL);
      sub.push({ tag: `t/${i}`, data: { i } });
      held.shift()?.();
      await vi.waitFor(() => expect(held.length + sub.pending).toBeGreaterThan(0), POLL);
    }
    expect(sub.reactions).toBeLessThanOrEqual(1);
    expect(out.listenerCount('drain')).toBeLessThanOrEqual(1);
    expect(out.listenerCount('close')).toBeLessThanOrEqual(2);
    sub.close();
    await vi.waitFor(() => expect(held.length).toBeGreaterThan(0), POLL);
    held.shift()?.();
    await expect(done).resolves.toBe('bus-closed');
  });
});
