import { createClient, RESP_TYPES } from 'redis';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisCache } from '../../src/salt/cache/redis.js';
import { redisAt } from '../support/redis-options.js';
import { unpack } from '../../src/salt/codec/unpack.js';
import type { RunningServer } from '../../src/server.js';
import { startDemo } from '../support/demo.js';
import { demoServerSettings, startTestServer } from '../support/api.js';

/**
 * Salt's `redis` cache driver against a real redis-server (started by test/redis/with-redis.mjs),
 * in redis_cache.py's layout, and two salt-apid instances sharing sessions through it.
 */

const port = Number(process.env['SALT_APID_TEST_REDIS_PORT']);
const options = redisAt(port);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

let redis: ReturnType<typeof createClient>;
beforeAll(async () => {
  if (!Number.isInteger(port) || port <= 0)
    throw new Error('run through `npm run test:redis` (it starts redis-server)');
  redis = createClient({ socket: { host: '127.0.0.1', port, tls: false } });
  await redis.connect();
  return async () => {
    await redis.close();
  };
});

describe("Salt's redis cache layout", () => {
  it('keeps a bank in $KEYS_<bank>/ with store times in $TSTAMP_<bank>/ and the bank listed in $BANKS_', async () => {
    await redis.flushDb();
    const cache = new RedisCache(options, () => 1_000_000_000_000);
    cleanups.push(() => cache.close());
    await cache.store('netapi/session', 'abc', { token: 'x' }, 36_000);
    const raw = await redis.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).hGet('$KEYS_netapi/session/', 'abc');
    expect(unpack(raw!)).toEqual({ data: { token: 'x' }, _expires: 1_000_036_000 });
    const stamp = await redis
      .withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
      .hGet('$TSTAMP_netapi/session/', 'abc');
    expect(unpack(stamp!)).toBe(1_000_000_000);
    expect(await redis.zRange('$BANKS_', 0, -1)).toEqual(['$KEYS_netapi/session/']);
    expect(await cache.fetch('netapi/session', 'abc')).toEqual({ token: 'x' });
    expect(await cache.list('netapi/session')).toEqual(['abc']);
    expect(await cache.flush('netapi/session', 'abc')).toBe(true);
    expect(await redis.zRange('$BANKS_', 0, -1)).toEqual([]);
    expect(await cache.fetch('netapi/session', 'abc')).toBeUndefined();
  });

  it('reads an expired envelope as missing', async () => {
    await redis.flushDb();
    let now = 1_000_000_000_000;
    const cache = new RedisCache(options, () => now);
    cleanups.push(() => cache.close());
    await cache.store('netapi/session', 'old', { token: 'y' }, 10);
    now += 11_000;
    expect(await cache.fetch('netapi/session', 'old')).toBeUndefined();
  });
});

describe('session_store: cache with cache: redis', () => {
  async function start(demo: Awaited<ReturnType<typeof startDemo>>['demo']): Promise<RunningServer> {
    const server = await startTestServer(
      await demoServerSettings(demo, {
        rest: { sessionStore: 'cache' },
        master: { cacheDriver: 'redis', redisCache: options },
      }),
    );
    cleanups.push(() => server.close());
    return server;
  }

  it('shares sessions between instances, and a logout on one ends it on the other', async () => {
    await redis.flushDb();
    const { demo, cleanup } = await startDemo();
    cleanups.push(cleanup);
    const [a, b] = [await start(demo), await start(demo)];
    const login = await fetch(`${a.url}/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
    });
    const session = login.headers.get('x-auth-token') ?? '';
    expect(await redis.hExists('$KEYS_netapi/session/', session)).toBe(1);
    const minions = (server: RunningServer) =>
      fetch(`${server.url}/minions`, { headers: { 'X-Auth-Token': session, Accept: 'application/json' } });
    expect((await minions(b)).status).toBe(200);
    const logout = await fetch(`${b.url}/logout`, { method: 'POST', body: '', headers: { 'X-Auth-Token': session } });
    expect(logout.status).toBe(200);
    expect((await minions(a)).status).toBe(401);
    expect(await redis.hExists('$KEYS_netapi/session/', session)).toBe(0);
  });
});
