import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { redisAt } from '../support/redis-options.js';
import { startApi, type ApiUnderTest } from '../support/api.js';
import { freePort } from '../support/net.js';

/**
 * `session_store: cache` with `cache: redis` when Redis cannot be had (issue 21): a port nobody
 * listens on, and a server that accepts connections and never answers. salt-apid answers at once
 * (or at `session_store_timeout`, never later) with the 500 page salt-api's CherryPy answers when
 * its cache raises, `/readyz` says 503, and the metrics say the cache is down. Recovery, against a
 * real Redis that is stopped and started again, is in test/redis/redis-outage.test.ts.
 */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(redisPort: number, sessionStoreTimeout: number): Promise<ApiUnderTest> {
  const api = await startApi({
    settings: {
      rest: { sessionStore: 'cache', sessionStoreTimeout, metricsDisableAuth: true },
      master: { cacheDriver: 'redis', redisCache: redisAt(redisPort) },
    },
  });
  cleanups.push(() => api.close());
  return api;
}

/** A server that accepts every connection and never writes a byte. */
async function silentServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : 0;
}

const login = (api: ApiUnderTest): Promise<Response> =>
  api.call('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'saltdev', password: 'saltdev', eauth: 'pam' }),
  });

/** CherryPy's 500 page, as salt-api answers when its session tool's cache raises. */
async function expectCherryPy500(response: Response): Promise<void> {
  expect(response.status).toBe(500);
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const page = await response.text();
  expect(page).toContain('<h2>500 Internal Server Error</h2>');
  expect(page).toContain(
    '<p>The server encountered an unexpected condition which prevented it from fulfilling the request.</p>',
  );
}

async function metric(api: ApiUnderTest, name: string): Promise<string | undefined> {
  const text = await (await api.call('/metrics')).text();
  return text.split('\n').find((line) => line.startsWith(`${name}{`));
}

describe('session_store: cache on a Redis that cannot be reached', () => {
  it('answers logins and session requests with 500 at once, and /readyz 503, when nothing listens', async () => {
    // An hour: an answer at all (the test's own limit is 20 s) is one that did not wait for it.
    const api = await start(await freePort(), 3600);
    const asked = api.demo.requestCount('mk_token');
    await expectCherryPy500(await login(api));
    // As salt-api: the store fails the login before the master is asked for a token nobody could keep.
    expect(api.demo.requestCount('mk_token')).toBe(asked);
    const session = 'a'.repeat(40);
    await expectCherryPy500(
      await api.call('/minions', { headers: { 'X-Auth-Token': session, Accept: 'application/json' } }),
    );
    await expectCherryPy500(await api.call('/logout', { method: 'POST', headers: { 'X-Auth-Token': session } }));
    const ready = await api.call('/readyz');
    expect([ready.status, await ready.json()]).toEqual([
      503,
      { status: 'not ready', reason: "the session store's cache does not answer (redis)" },
    ]);
    // The process itself is fine: a balancer takes it out by /readyz, nothing restarts it.
    expect((await api.call('/healthz')).status).toBe(200);
    // Routes that need no session answer as ever.
    expect((await api.call('/', { headers: { Accept: 'application/json' } })).status).toBe(200);
    expect(await metric(api, 'saltapid_session_cache_up')).toBe('saltapid_session_cache_up{driver="redis"} 0');
    const errors = await metric(api, 'saltapid_session_cache_errors_total');
    expect(Number(errors?.split(' ')[1])).toBeGreaterThanOrEqual(3);
  });

  it('gives a server that never answers session_store_timeout, then fails at once', async () => {
    const api = await start(await silentServer(), 0.2);
    await expectCherryPy500(await login(api));
    expect(api.demo.requestCount('mk_token')).toBe(0);
    const ready = await api.call('/readyz');
    expect(ready.status).toBe(503);
    await expectCherryPy500(await login(api));
    expect(await metric(api, 'saltapid_session_cache_up')).toBe('saltapid_session_cache_up{driver="redis"} 0');
  });
});
