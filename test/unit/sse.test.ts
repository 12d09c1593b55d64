import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { eventJson, sseBlock, streamEvents } from '../../src/http/sse.js';
import { Subscription } from '../../src/salt/subscription.js';

const event = { tag: 'salt/job/1/ret/m1', data: { return: true, id: 'm1' } };

function sink() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { out, text: () => text };
}

describe('SSE framing', () => {
  it('writes salt-api blocks: tag line, data line with {"data", "tag"}, blank line', () => {
    expect(sseBlock(event)).toBe('tag: salt/job/1/ret/m1\ndata: {"data": {"return": true, "id": "m1"}, "tag": "salt/job/1/ret/m1"}\n\n');
    expect(eventJson(event)).toBe('{"data": {"return": true, "id": "m1"}, "tag": "salt/job/1/ret/m1"}');
    expect(sseBlock(event)).toBe(sseBlock(event));
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

  it('stops when the client goes away', async () => {
    const sub = new Subscription();
    const { out } = sink();
    const done = streamEvents({ subscription: sub, out, keepAliveMs: 0 });
    setTimeout(() => out.destroy(), 10);
    await expect(done).resolves.toBe('client-closed');
    expect(sub.closed).toBe(true);
  });
});
