import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SaltEvent } from '../../src/salt/event-frame.js';
import type { FeedRequest } from '../../src/salt/stream-feed/fed-event.js';
import { FeedReader, type FeedReaderOptions } from '../../src/salt/stream-feed/feed-reader.js';
import { StreamFeed, threadExecArgv, type FeedThread } from '../../src/salt/stream-feed/stream-feed.js';
import { busPublisher, type BusPublisher } from '../support/bus-publisher.js';
import { pollUntil } from '../support/poll.js';
import { tempDirsPerTest } from '../support/temp-dirs.js';

const tempDir = tempDirsPerTest('salt-apid-feed-');

/**
 * A FeedReader behind a stand-in for the thread: its messages arrive a turn later, as a thread's
 * do, and the main thread's requests wait until the test lets them through (`hold`).
 */
class StandInThread extends EventEmitter implements FeedThread {
  readonly reader: FeedReader;
  private held: FeedRequest[] | undefined;

  constructor(options: FeedReaderOptions) {
    super();
    this.reader = new FeedReader(options, (message) => setImmediate(() => this.emit('message', message))).start();
  }

  postMessage(request: FeedRequest): void {
    if (this.held) this.held.push(request);
    else setImmediate(() => this.reader.handle(request));
  }

  /** Keeps the requests from now on until `release`. */
  hold(): void {
    this.held = [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const request of held) this.reader.handle(request);
  }

  /** Dies as a thread does, with an exit code. */
  die(): void {
    this.reader.close();
    this.emit('exit', 1);
  }

  terminate(): Promise<number> {
    this.reader.close();
    return Promise.resolve(0);
  }
}

const publisher = async (): Promise<BusPublisher> => busPublisher(await tempDir());

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const done of cleanup.splice(0)) await done();
});

async function feedOn(pub: BusPublisher, restartMs = 10) {
  const threads: StandInThread[] = [];
  const feed = new StreamFeed(
    (options) => {
      const thread = new StandInThread(options);
      threads.push(thread);
      return thread;
    },
    { pub: { path: pub.path }, restartMs, reconnectInitialMs: 10 },
  );
  cleanup.push(
    () => feed.close(),
    () => pub.server.close(),
  );
  // No thread before the first consumer, or before ready() (which starts it).
  expect(threads).toHaveLength(0);
  await feed.ready();
  expect(feed.connected).toBe(true);
  await pollUntil(
    () => feed.connected && pub.connections() === threads.length,
    (ready) => ready,
  );
  return { feed, threads };
}

/** Reads a subscription's events into a list as they come. */
function collect(sub: AsyncIterable<SaltEvent>): SaltEvent[] {
  const events: SaltEvent[] = [];
  void (async () => {
    for await (const event of sub) events.push(event);
  })();
  return events;
}

describe('the stream feed (the main thread side)', () => {
  it('gives a subscription every event read after it subscribed, in order and once, however late the thread learns of it', async () => {
    const pub = await publisher();
    const { feed, threads } = await feedOn(pub);
    const early = feed.subscribe();
    const earlyEvents = collect(early);
    await pollUntil(
      () => feed.stats().subscribers,
      (n) => n === 1,
    );
    pub.publish('salt/test/before', { n: 0 });
    await pollUntil(
      () => earlyEvents.length,
      (n) => n === 1,
    );

    // The thread hears of the next subscription only after three more events went to the first one.
    threads[0]!.hold();
    const late = feed.subscribe({ match: (tag) => tag !== 'salt/test/skip', tags: ['salt/test/[!s]*'] });
    const lateEvents = collect(late);
    for (const n of [1, 2]) pub.publish(`salt/test/during/${n}`, { n });
    pub.publish('salt/test/skip', {});
    await pollUntil(
      () => earlyEvents.length,
      (n) => n === 4,
    );
    expect(lateEvents).toEqual([]);
    threads[0]!.release();
    pub.publish('salt/test/after', { n: 3 });
    await pollUntil(
      () => lateEvents.length,
      (n) => n === 3,
    );
    expect(lateEvents.map((e) => e.tag)).toEqual(['salt/test/during/1', 'salt/test/during/2', 'salt/test/after']);
    // The very objects the first subscription got: the replay ring knows events by identity.
    expect(lateEvents[0]).toBe(earlyEvents[1]);
    expect(lateEvents[1]?.data).toMatchObject({ n: 2 });
    expect(earlyEvents.map((e) => e.tag)).toEqual([
      'salt/test/before',
      'salt/test/during/1',
      'salt/test/during/2',
      'salt/test/skip',
      'salt/test/after',
    ]);
  });

  it('hands every event to the taps before any subscription', async () => {
    const pub = await publisher();
    const { feed } = await feedOn(pub);
    const order: string[] = [];
    const sub = feed.subscribe();
    const untap = feed.tap((event) => order.push(`tap ${event.tag}`));
    void (async () => {
      for await (const event of sub) order.push(`sub ${event.tag}`);
    })();
    // Until the thread has answered a consumer's `want`, the events it missed come with that answer, which
    // may come after another consumer's events: a first event, seen by both, shows both have their answers.
    pub.publish('salt/test/zero', {});
    await pollUntil(
      () => order.length,
      (n) => n === 2,
    );
    order.length = 0;
    pub.publish('salt/test/one', {});
    await pollUntil(
      () => order.length,
      (n) => n === 2,
    );
    expect(order).toEqual(['tap salt/test/one', 'sub salt/test/one']);
    untap();
    pub.publish('salt/test/two', {});
    await pollUntil(
      () => order.length,
      (n) => n === 3,
    );
    expect(order.at(-1)).toBe('sub salt/test/two');
  });

  it('starts its thread again when it dies, and every consumer asks again', async () => {
    const pub = await publisher();
    const { feed, threads } = await feedOn(pub);
    const events = collect(feed.subscribe());
    threads[0]!.die();
    await pollUntil(
      () => threads.length === 2 && feed.connected && pub.connections() === 1,
      (ready) => ready,
    );
    expect(feed.stats().restarts).toBe(1);
    pub.publish('salt/test/again', {});
    await pollUntil(
      () => events.length,
      (n) => n === 1,
    );
    expect(events[0]?.tag).toBe('salt/test/again');
  });

  it('ends its subscriptions when closed, and refuses new ones', async () => {
    const pub = await publisher();
    const { feed } = await feedOn(pub);
    const sub = feed.subscribe();
    await feed.close();
    expect(sub.closed).toBe(true);
    const after = feed.subscribe();
    await expect(after.next()).rejects.toThrow(/closed/);
  });

  it('starts no thread until the first subscription or tap, and ready() waits for its first word', async () => {
    const pub = await publisher();
    cleanup.push(() => pub.server.close());
    const started: StandInThread[] = [];
    const feedWith = (path: string): StreamFeed => {
      const feed = new StreamFeed(
        (options) => {
          const thread = new StandInThread(options);
          started.push(thread);
          return thread;
        },
        { pub: { path }, reconnectInitialMs: 10 },
      );
      cleanup.push(() => feed.close());
      return feed;
    };
    const bySubscription = feedWith(pub.path);
    expect(bySubscription.stats()).toMatchObject({ started: false, connected: false });
    expect(started).toHaveLength(0);
    bySubscription.subscribe();
    expect(started).toHaveLength(1);
    await bySubscription.ready();
    expect(bySubscription.stats()).toMatchObject({ started: true, connected: true });
    // An event published once ready() resolved reaches a subscription.
    const sub = bySubscription.subscribe();
    await pollUntil(
      () => pub.connections(),
      (n) => n === 1,
    );
    pub.publish('salt/test/after-ready', { n: 1 });
    const first = await sub.next();
    expect(first.done ? undefined : first.value.tag).toBe('salt/test/after-ready');

    const byTap = feedWith(pub.path);
    byTap.tap(() => {});
    expect(started).toHaveLength(2);

    // Nothing listens: ready() still resolves, once the first attempt has failed.
    const nowhere = feedWith(join(await tempDir(), 'no-such-socket'));
    await nowhere.ready();
    expect(nowhere.stats()).toMatchObject({ started: true, connected: false });
    // Closed: ready() resolves at once and starts nothing.
    const closed = feedWith(pub.path);
    await closed.close();
    await closed.ready();
    expect(closed.stats().started).toBe(false);
    expect(started).toHaveLength(3);
  });
});

describe("the thread's Node.js options", () => {
  it('keep what loads modules and leave out V8 options, which Node refuses a thread', () => {
    expect(threadExecArgv(['--max-semi-space-size=16', '--heapsnapshot-signal=SIGUSR2'])).toEqual([]);
    expect(
      threadExecArgv(['--import', './loader.mjs', '--expose-gc', '--require=./a.cjs', '-r', './b.cjs', '--loader']),
    ).toEqual(['--import', './loader.mjs', '--require=./a.cjs', '-r', './b.cjs', '--loader']);
  });

  it('start no thread from TypeScript sources without a loader: a --require (as vitest has) is none', () => {
    // From the sources (these tests), the thread's code is worker.ts: it needs --import of a loader.
    const pub = { path: '/nonexistent/master_event_pub.ipc' };
    expect(StreamFeed.start({ pub, execArgv: ['--require', './suppress-warnings.cjs'] })).toBeUndefined();
    expect(StreamFeed.start({ pub, execArgv: ['--max-semi-space-size=16'] })).toBeUndefined();
  });
});
