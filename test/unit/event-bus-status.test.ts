import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { JobEventStream } from '../../src/salt/clients/local/job-events.js';
import { MasterUnavailableError } from '../../src/salt/errors.js';
import { EventBus, type BusStatus } from '../../src/salt/event-bus.js';

/** A stand-in publisher socket: accepts the bus's connection and can drop it. */
interface Publisher {
  path: string;
  sockets: Set<Socket>;
  dropAll(): void;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function publisher(): Promise<Publisher> {
  const dir = await mkdtemp(join(tmpdir(), 'salt-apid-bus-'));
  const path = join(dir, 'master_event_pub.ipc');
  const sockets = new Set<Socket>();
  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  cleanups.push(async () => {
    for (const sock of sockets) sock.destroy();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });
  return {
    path,
    sockets,
    dropAll: () => {
      for (const sock of sockets) sock.destroy();
    },
  };
}

async function connectedBus(pub: Publisher): Promise<EventBus> {
  const bus = new EventBus({
    pub: { path: pub.path },
    pull: { path: join(pub.path, '..', 'master_event_pull.ipc') },
    pullFraming: 'bare',
    reconnectInitialMs: 10,
    reconnectMaxMs: 20,
  });
  cleanups.push(() => bus.close());
  bus.start();
  await bus.waitConnected(2_000);
  return bus;
}

/** Drops the bus's connection and waits until it is back. */
async function bounce(pub: Publisher, bus: EventBus): Promise<void> {
  const lost = new Promise<void>((resolve) => bus.onNextDisconnect(resolve));
  pub.dropAll();
  await lost;
  await bus.waitConnected(2_000);
}

describe('EventBus status() and closed()', () => {
  it('reports connection changes in order, and ends its readers when closed', async () => {
    const pub = await publisher();
    const bus = await connectedBus(pub);
    const statuses = bus.status();
    const seen: Array<BusStatus['type']> = [];
    const reading = (async () => {
      for await (const status of statuses) {
        seen.push(status.type);
        expect(status.data.address).toBe(pub.path);
        if (status.type === 'connected') bus.close();
      }
    })();
    pub.dropAll();
    await reading;
    expect(seen).toEqual(['disconnected', 'reconnecting', 'connected', 'closed']);
    await expect(bus.closed()).resolves.toBeUndefined();
    // A reader asked for after the close ends at once.
    expect(await bus.status().next()).toEqual({ value: undefined, done: true });
  });

  it('settles closed() with the reason given to close()', async () => {
    const bus = await connectedBus(await publisher());
    const reason = new Error('shutting down');
    bus.close(reason);
    await expect(bus.closed()).resolves.toBe(reason);
  });

  it('keeps a bounded backlog for a reader that does not read', async () => {
    const pub = await publisher();
    const bus = await connectedBus(pub);
    const statuses = bus.status();
    for (let i = 0; i < 50; i++) await bounce(pub, bus);
    bus.close();
    const backlog: BusStatus[] = [];
    for await (const status of statuses) backlog.push(status);
    expect(backlog.length).toBeLessThanOrEqual(64);
    expect(backlog.at(-1)?.type).toBe('closed');
  });
});

describe('EventBus disconnect watchers', () => {
  const WAITERS = 10_000;

  it('tells 10,000 waiting job streams of a disconnect, and keeps no watcher afterwards', async () => {
    const pub = await publisher();
    const bus = await connectedBus(pub);
    const streams = Array.from({ length: WAITERS }, () => new JobEventStream(bus, 'salt/job/', undefined));
    expect(bus.disconnectWatchers).toBe(WAITERS);
    const outcomes = streams.map((stream) =>
      stream.next(60_000).then(
        () => 'event',
        (err: unknown) => err,
      ),
    );
    const started = performance.now();
    pub.dropAll();
    const results = await Promise.all(outcomes);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(results.every((err) => err instanceof MasterUnavailableError)).toBe(true);
    for (const stream of streams) stream.close();
    expect(bus.disconnectWatchers).toBe(0);
    expect(bus.stats().subscribers).toBe(0);
  });

  it('keeps no watcher once streams finish without a disconnect', async () => {
    const bus = await connectedBus(await publisher());
    for (let round = 0; round < 3; round++) {
      const streams = Array.from({ length: WAITERS }, () => new JobEventStream(bus, 'salt/run/', undefined));
      expect(bus.disconnectWatchers).toBe(WAITERS);
      await Promise.all(streams.map((stream) => stream.next(1)));
      for (const stream of streams) stream.close();
      expect(bus.disconnectWatchers).toBe(0);
    }
    expect(bus.stats().subscribers).toBe(0);
  });

  it('calls a watcher once, and not after it was cancelled', async () => {
    const pub = await publisher();
    const bus = await connectedBus(pub);
    const calls: string[] = [];
    bus.onNextDisconnect(() => calls.push('kept'));
    const cancel = bus.onNextDisconnect(() => calls.push('cancelled'));
    cancel();
    await bounce(pub, bus);
    await bounce(pub, bus);
    expect(calls).toEqual(['kept']);
    expect(bus.disconnectWatchers).toBe(0);
  });
});
