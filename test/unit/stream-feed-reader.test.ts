import { afterEach, describe, expect, it } from 'vitest';
import { jsonDumps } from '../../src/python/json-dumps.js';
import { decodeEventBody } from '../../src/salt/event-frame.js';
import { eventIdentifier } from '../../src/salt/event-id.js';
import { PROBE_TAG_PREFIX } from '../../src/salt/event-pull.js';
import type { FeedMessage } from '../../src/salt/stream-feed/fed-event.js';
import { FeedReader } from '../../src/salt/stream-feed/feed-reader.js';
import { busPublisher, type BusPublisher } from '../support/bus-publisher.js';
import { pollUntil } from '../support/poll.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

const tempDir = tempDirsPerTest('salt-apid-feed-');

const publisher = async (): Promise<BusPublisher> => busPublisher(await tempDir());

const open: Array<{ close(): void }> = [];
afterEach(() => {
  for (const item of open.splice(0)) item.close();
});

async function readerOn(pub: BusPublisher, identity?: string) {
  const messages: FeedMessage[] = [];
  const reader = new FeedReader({ pub: { path: pub.path }, identity, reconnectInitialMs: 10 }, (message) =>
    messages.push(message),
  ).start();
  open.push(reader);
  await pollUntil(
    () => messages.some((m) => m.type === 'connected') && pub.connections() === 1,
    (connected) => connected,
  );
  /** The events sent so far, by tag, and the last number read. */
  const sent = () => messages.flatMap((m) => (m.type === 'events' ? m.events : []));
  const lastSeq = () => Math.max(0, ...messages.map((m) => (m.type === 'events' ? m.seq : 0)));
  return { reader, messages, sent, lastSeq };
}

describe('the stream feed reader (the thread side)', () => {
  it('numbers every event but sends only the wanted ones, ready to stream', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { reader, messages, sent, lastSeq } = await readerOn(pub, 'master-key');
    pub.publish('salt/job/1/ret/a', { id: 'a', return: true });
    await pollUntil(lastSeq, (seq) => seq === 1);
    expect(sent()).toEqual([]);

    reader.handle({ type: 'want', consumer: 1, tags: ['salt/netapi/hook/*'], after: 1 });
    pub.publish('salt/job/2/ret/b', { id: 'b' });
    pub.publish('salt/netapi/hook/deploy', { body: 'x', _stamp: '2026-12-07T08:00:00.123456' });
    pub.publish(`${PROBE_TAG_PREFIX}abc`, {});
    await pollUntil(lastSeq, (seq) => seq === 3);
    const [hook] = sent();
    expect(sent()).toHaveLength(1);
    expect(hook?.seq).toBe(3);
    expect(hook?.tag).toBe('salt/netapi/hook/deploy');
    const decoded = decodeEventBody(hook!.body);
    expect(decoded.data).toEqual({ body: 'x', _stamp: '2026-12-07T08:00:00.123456' });
    expect(hook?.json).toBe(jsonDumps({ data: decoded.data, tag: decoded.tag }));
    expect(hook?.id).toBe(eventIdentifier('master-key')(Buffer.from(hook!.body), decoded.data));
    // The probes of the pull framing are not the streams' and take no number.
    expect(messages.filter((m) => m.type === 'wanted')).toEqual([{ type: 'wanted', consumer: 1, events: [], upTo: 1 }]);

    reader.handle({ type: 'unwant', consumer: 1 });
    pub.publish('salt/netapi/hook/again', {});
    await pollUntil(lastSeq, (seq) => seq === 4);
    expect(sent()).toHaveLength(1);
  });

  it('answers a late want with the events read since the number the main thread last saw', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { reader, messages, lastSeq } = await readerOn(pub);
    for (let i = 1; i <= 5; i++) pub.publish(`salt/test/${i % 2 === 0 ? 'even' : 'odd'}/${i}`, { i });
    await pollUntil(lastSeq, (seq) => seq === 5);
    reader.handle({ type: 'want', consumer: 7, tags: ['salt/test/odd/*'], after: 2 });
    reader.handle({ type: 'want', consumer: 8, tags: null, after: 4 });
    const answers = messages.filter((m) => m.type === 'wanted');
    expect(answers.map((a) => [a.consumer, a.upTo, a.events.map((e) => e.tag)])).toEqual([
      [7, 5, ['salt/test/odd/3', 'salt/test/odd/5']],
      [8, 5, ['salt/test/odd/5']],
    ]);
  });

  it('keeps a bounded history: a want older than it gets the most recent 1,024 events', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { reader, messages, lastSeq } = await readerOn(pub);
    for (let i = 1; i <= 2_000; i++) pub.publish('salt/test/many', { i });
    await pollUntil(lastSeq, (seq) => seq === 2_000, { timeoutMs: 30_000 });
    reader.handle({ type: 'want', consumer: 1, tags: null, after: 0 });
    const answer = messages.find((m) => m.type === 'wanted');
    expect(answer?.type === 'wanted' && answer.events.map((e) => e.seq)).toEqual(
      Array.from({ length: 1_024 }, (_, i) => 2_000 - 1_024 + 1 + i),
    );
  });

  it('stops reading while the main thread has 32 MB of events not handed on, and reads again once it has', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { reader, messages, sent, lastSeq } = await readerOn(pub);
    reader.handle({ type: 'want', consumer: 1, tags: null, after: 0 });
    // About 2 MB a message (its JSON and its bytes): 40 of them are far more than the 32 MB allowed.
    for (let i = 1; i <= 40; i++) pub.publish('salt/test/big', { i, blob: 'x'.repeat(1_000_000) });
    const held = await pollUntil(
      () => reader.backlog,
      (backlog) => backlog.paused,
    );
    expect(held.bytes).toBeGreaterThan(32 * 1024 * 1024);
    expect(sent().length).toBeLessThan(40);
    // The main thread catching up: it hands on whatever came, as it comes.
    let taken = 0;
    const takeAll = (): void => {
      const sentNow = messages.filter((m) => m.type === 'events' && m.events.length > 0).length;
      reader.handle({ type: 'taken', messages: sentNow - taken });
      taken = sentNow;
    };
    await pollUntil(
      () => (takeAll(), lastSeq()),
      (seq) => seq === 40,
      { timeoutMs: 30_000 },
    );
    takeAll();
    expect(reader.backlog).toEqual({ bytes: 0, paused: false });
    expect(sent().map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('reconnects when the publisher drops it, and says so', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { messages, lastSeq } = await readerOn(pub);
    pub.drop();
    await pollUntil(
      () => messages.filter((m) => m.type === 'connected').length === 2 && pub.connections() === 1,
      (done) => done,
    );
    expect(messages.some((m) => m.type === 'disconnected')).toBe(true);
    pub.publish('salt/test/after', {});
    await pollUntil(lastSeq, (seq) => seq === 1);
  });

  it('reports a stream that is not Salt frames, and connects again', async () => {
    const pub = await publisher();
    open.push(pub.server);
    const { messages } = await readerOn(pub);
    // No framing starts with these bytes: the reader gives up on the connection.
    pub.raw(Buffer.from([0x17, 0x2a]));
    await pollUntil(
      () => messages.filter((m) => m.type === 'connected').length,
      (n) => n === 2,
    );
    expect(messages.find((m) => m.type === 'failed')).toMatchObject({ message: expect.stringMatching(/corrupt/) });
  });
});
