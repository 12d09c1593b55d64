import { afterEach, describe, expect, it } from 'vitest';
import { redisAt } from '../support/redis-options.js';
import { startApi, type ApiUnderTest } from '../support/api.js';
import { freePort } from '../support/net.js';
import { startRedis, type RedisProcess } from './redis-process.js';

/**
 * Issue 21: a Redis session cache that dies under a running salt-apid. Requests that need a
 * session get salt-api's 500 page at once instead of hanging until Redis is back, `/readyz` is 503
 * meanwhile, and everything works again, by itself, once Redis is back.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function login(api: ApiUnderTest): Promise<Response> {
  return api.call('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
  });
}

const minions = (api: ApiUnderTest, session: string): Promise<Response> =>
  api.call('/minions', { headers: { 'X-Auth-Token': session, Accept: 'application/json' } });

async function readyz(api: ApiUnderTest): Promise<{ status: number; body: unknown }> {
  const response = await api.call('/readyz');
  return { status: response.status, body: await response.json() };
}

/** Polls `/readyz` until it answers `status` (the test's own time limit bounds it). */
async function readyzBecomes(api: ApiUnderTest, status: number): Promise<void> {
  while ((await readyz(api)).status !== status) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function cacheUp(api: ApiUnderTest): Promise<string | undefined> {
  const text = await (await api.call('/metrics')).text();
  return text.split('\n').find((line) => line.startsWith('saltapid_session_cache_up{'));
}

describe('session_store: cache on a Redis that goes away and comes back', () => {
  it('answers 500 at once while Redis is down, /readyz 503, and logs in again once it is back', async () => {
    const port = await freePort();
    const redis: RedisProcess = await startRedis(port);
    cleanups.push(() => redis.stop());
    const api = await startApi({
      settings: {
        // An hour: every answer below comes (within the test's 20 s) without waiting for it.
        rest: { sessionStore: 'cache', sessionStoreTimeout: 3600, metricsDisableAuth: true },
        master: { cacheDriver: 'redis', redisCache: redisAt(port) },
      },
    });
    cleanups.push(() => api.close());

    const first = await login(api);
    expect(first.status).toBe(200);
    const session = first.headers.get('x-auth-token') ?? '';
    expect((await minions(api, session)).status).toBe(200);
    expect((await readyz(api)).status).toBe(200);
    expect(await cacheUp(api)).toBe('saltapid_session_cache_up{driver="redis"} 1');

    await redis.kill();
    const during = await login(api);
    expect(during.status).toBe(500);
    expect(await during.text()).toContain('<h2>500 Internal Server Error</h2>');
    expect((await minions(api, session)).status).toBe(500);
    expect(await readyz(api)).toEqual({
      status: 503,
      body: { status: 'not ready', reason: "the session store's cache does not answer (redis)" },
    });
    expect(await cacheUp(api)).toBe('saltapid_session_cache_up{driver="redis"} 0');

    await redis.restart();
    await readyzBecomes(api, 200);
    expect(await cacheUp(api)).toBe('saltapid_session_cache_up{driver="redis"} 1');
    // The restarted Redis is empty: the old session is gone (401), a new login works.
    expect((await minions(api, session)).status).toBe(401);
    const again = await login(api);
    expect(again.status).toBe(200);
    expect((await minions(api, again.headers.get('x-auth-token') ?? '')).status).toBe(200);
  });
});
