import { afterEach, describe, expect, it } from 'vitest';
import { Router } from 'zeromq';
import { pack } from '../../src/salt/codec/pack.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import { isSaltMap } from '../../src/salt/codec/values.js';
import { MasterTimeoutError, MasterUnavailableError } from '../../src/salt/errors.js';
import { RequestChannel } from '../../src/salt/request-channel.js';
import { loadFixture } from '../support/fixtures.js';

/** A bare ZeroMQ ROUTER standing in for the master, to exercise the channel's own behaviour. */
async function fakeMaster(handle: (load: Record<string, unknown>) => Promise<unknown> | 'never') {
  const router = new Router({ linger: 0 });
  await router.bind('tcp://127.0.0.1:*');
  const seen: Buffer[] = [];
  void (async () => {
    try {
      for await (const [identity, delimiter, payload] of router) {
        if (!identity || !delimiter || !payload) continue;
        seen.push(payload);
        const envelope = unpack(payload);
        const load = isSaltMap(envelope) && isSaltMap(envelope['load']) ? envelope['load'] : {};
        const reply = handle(load);
        if (reply === 'never') continue;
        void reply.then((value) => router.send([identity, delimiter, pack(value as never, { useBinType: false })]));
      }
    } catch {
      // closed
    }
  })();
  return { endpoint: router.lastEndpoint!, seen, close: () => router.close() };
}

const closers: Array<() => void> = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

describe('RequestChannel', () => {
  it('sends the exact recorded bytes of a clear request and returns the decoded reply', async () => {
    const master = await fakeMaster(async (load) => load);
    const channel = new RequestChannel({ endpoint: master.endpoint });
    closers.push(() => channel.close(), master.close);
    const fixture = loadFixture('req_ping_echo');
    const load = (fixture.request?.payload.decoded as { load: Record<string, string | number> }).load;
    await expect(channel.request(load)).resolves.toEqual(fixture.reply?.decoded);
    expect(master.seen[0]?.toString('hex')).toBe(fixture.request?.payload.hex);
  });

  it('answers "unavailable" quickly when nothing listens on the request port', async () => {
    // "Quickly": after the connect timeout (0.2 s), long before the request's own (60 s), with room
    // between them for a busy machine.
    const channel = new RequestChannel({ endpoint: 'tcp://127.0.0.1:1', connectTimeoutMs: 200, timeoutMs: 60_000 });
    closers.push(() => channel.close());
    const started = Date.now();
    await expect(channel.request({ cmd: 'ping' })).rejects.toBeInstanceOf(MasterUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out a request the master never answers, replaces the stuck socket, and goes on', async () => {
    const master = await fakeMaster((load) => (load['cmd'] === 'ignore' ? 'never' : Promise.resolve(load)));
    const channel = new RequestChannel({ endpoint: master.endpoint, maxSockets: 1 });
    closers.push(() => channel.close(), master.close);
    await expect(channel.request({ cmd: 'ignore' }, { timeoutMs: 150 })).rejects.toBeInstanceOf(MasterTimeoutError);
    expect(channel.stats()).toMatchObject({ open: 0, timeouts: 1 });
    await expect(channel.request({ cmd: 'ping', n: 2 })).resolves.toEqual({ cmd: 'ping', n: 2 });
  });

  it('runs concurrent requests in parallel on pooled sockets, each getting its own reply', async () => {
    // The master answers none until all ten are in, then the last first: ten requests at the master at
    // once is what "in parallel" means, whatever the machine's speed (a serial channel would leave one
    // there until the fallback below answers it).
    const waiting = new Map<number, () => void>();
    let mostWaiting = 0;
    let answering = false;
    const answerAll = (): void => {
      answering = true;
      for (const n of [...waiting.keys()].sort((a, b) => b - a)) waiting.get(n)?.();
    };
    const fallback = setTimeout(answerAll, 5_000);
    const master = await fakeMaster(
      (load) =>
        new Promise((resolve) => {
          waiting.set(Number(load['n']), () => resolve({ echoed: load['n'] }));
          mostWaiting = Math.max(mostWaiting, waiting.size);
          if (waiting.size === 10 || answering) answerAll();
        }),
    );
    const channel = new RequestChannel({ endpoint: master.endpoint, maxSockets: 16, timeoutMs: 30_000 });
    closers.push(
      () => channel.close(),
      master.close,
      () => clearTimeout(fallback),
    );
    const replies = await Promise.all(Array.from({ length: 10 }, (_, n) => channel.request({ cmd: 'slow', n })));
    expect(replies).toEqual(Array.from({ length: 10 }, (_, n) => ({ echoed: n })));
    expect(mostWaiting).toBe(10);
    expect(channel.stats().open).toBe(10);
  });

  it('queues requests beyond maxSockets instead of failing them', async () => {
    const master = await fakeMaster((load) => new Promise((resolve) => setTimeout(() => resolve(load['n']), 30)));
    const channel = new RequestChannel({ endpoint: master.endpoint, maxSockets: 2 });
    closers.push(() => channel.close(), master.close);
    const replies = await Promise.all(Array.from({ length: 6 }, (_, n) => channel.request({ cmd: 'q', n })));
    expect(replies).toEqual([0, 1, 2, 3, 4, 5]);
    expect(channel.stats().open).toBe(2);
  });
});
