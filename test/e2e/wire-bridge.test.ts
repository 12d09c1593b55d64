import { afterEach, describe, expect, it } from 'vitest';
import { DemoMaster } from '../../src/demo/demo-master.js';
import { MasterErrorReply, MasterUnavailableError } from '../../src/salt/errors.js';
import type { PublishLoad } from '../../src/salt/clear-commands.js';
import type { SaltMap } from '../../src/salt/codec/values.js';
import type { SaltMaster } from '../../src/salt/master.js';
import { tagMatcher } from '../../src/salt/tag-match.js';
import { connectTo, startDemo } from '../support/demo.js';

/**
 * The wire layer (request channel, event bus, clear commands) against the demo master over
 * real ZeroMQ and real unix sockets: the path every salt-apid request takes.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(options: Parameters<typeof startDemo>[0] = {}): Promise<{ demo: DemoMaster; master: SaltMaster }> {
  const { demo, cleanup } = await startDemo(options);
  const master = connectTo(demo);
  cleanups.push(cleanup, () => master.close());
  await master.bus.waitConnected(2_000);
  return { demo, master };
}

/** The publish load of a test.ping of every minion, as root, with `kwargs` (the token among them). */
function pingLoad(kwargs: SaltMap): PublishLoad {
  return { tgt: '*', fun: 'test.ping', arg: [], tgt_type: 'glob', ret: '', jid: '', kwargs, user: 'root' };
}

describe('bridge to the demo master', () => {
  it('gets a token, publishes test.ping and receives every minion return on the bus', async () => {
    const { demo, master } = await setup();
    const token = await master.commands.mkToken({ username: 'saltdev', password: 'saltdev', eauth: 'pam' });
    expect(token).toMatchObject({ name: 'saltdev', eauth: 'pam', groups: ['saltdev'] });
    expect(token?.token).toMatch(/^[0-9a-f]{64}$/);
    expect((await master.commands.getToken(token?.token ?? ''))?.name).toBe('saltdev');

    const jobEvents = master.bus.subscribe({ match: tagMatcher('salt/job/') });
    const published = await master.commands.publish(pingLoad({ client: 'local', token: token?.token ?? '' }));
    expect(published).toMatchObject({ minions: demo.minionIds, missing: [] });
    const jid = published.jid!;
    const returns = new Map<string, unknown>();
    const tags: string[] = [];
    while (returns.size < demo.minionIds.length) {
      const event = await jobEvents.nextWithin(3_000);
      if (!event) throw new Error(`only ${returns.size} returns arrived`);
      tags.push(event.tag);
      if (event.tag.startsWith(`salt/job/${jid}/ret/`)) returns.set(event.data['id'] as string, event.data['return']);
    }
    expect(tags.slice(0, 2)).toEqual([`salt/job/${jid}/new`, `salt/job/${jid}/publish`]);
    expect(Object.fromEntries(returns)).toEqual(Object.fromEntries(demo.minionIds.map((id) => [id, true])));
  });

  it('turns the master refusals into typed results and errors', async () => {
    const { master } = await setup();
    await expect(master.commands.mkToken({ username: 'saltdev', password: 'wrong', eauth: 'pam' })).resolves.toBeNull();
    await expect(master.commands.getToken('ab'.repeat(32))).resolves.toBeNull();
    const load = pingLoad({ token: 'ab'.repeat(32) });
    const refused = master.commands.publish(load);
    await expect(refused).rejects.toBeInstanceOf(MasterErrorReply);
    await expect(refused).rejects.toMatchObject({
      kind: 'auth',
      errorName: 'AuthenticationError',
      message: 'Authentication error occurred.',
    });
    const token = await master.commands.mkToken({ username: 'autouser', password: 'x', eauth: 'auto' });
    await expect(
      master.commands.publish({ ...load, tgt: 'nothing-*', kwargs: { token: token?.token ?? '' } }),
    ).resolves.toEqual({
      jid: null,
      minions: [],
      error: 'Master could not resolve minions for target nothing-*',
    });
  });

  it('shares one publisher connection between many subscribers, each filtered by tag', async () => {
    const { demo, master } = await setup();
    const everything = master.bus.subscribe();
    const hooks = master.bus.subscribe({ match: tagMatcher('salt/netapi/hook', 'startswith') });
    const others = master.bus.subscribe({ match: tagMatcher('other/*', 'fnmatch') });
    demo.fireEvent('salt/netapi/hook/deploy', { n: 1 });
    demo.fireEvent('other/thing', { n: 2 });
    expect((await everything.nextWithin(2_000))?.tag).toBe('salt/netapi/hook/deploy');
    expect((await everything.nextWithin(2_000))?.tag).toBe('other/thing');
    expect(await hooks.nextWithin(2_000)).toMatchObject({ tag: 'salt/netapi/hook/deploy', data: { n: 1 } });
    expect(await others.nextWithin(2_000)).toMatchObject({ tag: 'other/thing', data: { n: 2 } });
    expect(master.bus.stats()).toMatchObject({ state: 'connected', subscribers: 3, pubFraming: 'bare' });
  });

  it.each([
    ['3008.2+ (bare publisher, prefixed puller)', 'bare', 'len32'],
    ['3006.0-3006.25, 3007.x, 3008.0/1 (all bare)', 'bare', 'bare'],
    ['3006.26+ (all prefixed)', 'len32', 'len32'],
  ] as const)(
    'fires events through the pull socket of a %s master, learning its framing',
    async (_name, pubFraming, pullFraming) => {
      const { demo, master } = await setup({ pubFraming, pullFraming });
      const seen = master.bus.subscribe({ match: tagMatcher('salt/apid/test') });
      if (pubFraming === 'len32') {
        master.bus.subscribe(); // the publisher's first frame tells the framing without a probe
      }
      await master.bus.waitConnected(3_000);
      const started = performance.now();
      await master.bus.fire('salt/apid/test/fired', { hello: 'bus', bytes: Buffer.from([0, 255]) });
      const firedAfterMs = performance.now() - started;
      expect(await seen.nextWithin(3_000)).toEqual({
        tag: 'salt/apid/test/fired',
        data: { hello: 'bus', bytes: Buffer.from([0, 255]) },
      });
      expect(master.bus.stats().pullFraming).toBe(pullFraming);
      // No frame the master's puller chokes on (a real master logs each one as an exception) ...
      expect(demo.pullErrors).toBe(0);
      // ... and no wait for a probe timeout on a bare master (the probe's timeout is 1.5 s).
      // (Just under that timeout: the room below it is for a busy machine.)
      if (pullFraming === 'bare') expect(firedAfterMs).toBeLessThan(1_400);
    },
  );

  it('keeps subscriptions alive across a master restart and resumes delivery', async () => {
    const { demo, master } = await setup();
    const live = master.bus.subscribe({ match: tagMatcher('restart/') });
    demo.fireEvent('restart/before', {});
    expect((await live.nextWithin(2_000))?.tag).toBe('restart/before');

    const disconnected = new Promise<void>((resolve) => master.bus.onNextDisconnect(resolve));
    await demo.stop();
    await disconnected;
    expect(master.available).toBe(false);
    await expect(master.commands.ping({}, { timeoutMs: 500 })).rejects.toThrow();

    const again = await DemoMaster.start(demo.options);
    cleanups.push(() => again.stop());
    await master.bus.waitConnected(3_000);
    expect(master.available).toBe(true);
    again.fireEvent('restart/after', {});
    expect((await live.nextWithin(3_000))?.tag).toBe('restart/after');
    expect(live.closed).toBe(false);
    await expect(master.commands.ping({ back: true })).resolves.toEqual({ cmd: 'ping', back: true });
    await master.bus.fire('restart/fired', {});
    expect((await live.nextWithin(3_000))?.tag).toBe('restart/fired');
  });

  it('reports an absent master as unavailable, then connects when it appears', async () => {
    const { demo, cleanup } = await startDemo();
    const options = demo.options;
    await demo.stop();
    const master = connectTo(demo);
    cleanups.push(() => master.close(), cleanup);
    await expect(master.bus.waitConnected(300)).rejects.toBeInstanceOf(MasterUnavailableError);
    await expect(master.bus.fire('x', {})).rejects.toBeInstanceOf(MasterUnavailableError);
    const started = await DemoMaster.start(options);
    cleanups.push(() => started.stop());
    await master.bus.waitConnected(3_000);
    await expect(master.commands.ping({})).resolves.toEqual({ cmd: 'ping' });
  });
});
