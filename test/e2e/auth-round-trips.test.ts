import { describe, expect, it } from 'vitest';
import { SALTDEV, apiForFile, json, login, pageMessage, startApi } from '../support/api.js';

/**
 * Credentials that cannot be valid — a session id or Salt token of the wrong form — are refused
 * without a round trip to the master; the master is asked only about what could be valid.
 */

const api = apiForFile();

/** The answer of `call` and how many requests the master got while it ran. */
async function counted(call: () => Promise<Response>): Promise<{ response: Response; masterCalls: number }> {
  const before = api.demo.requestCount();
  const response = await call();
  await response.arrayBuffer().catch(() => undefined);
  return { response, masterCalls: api.demo.requestCount() - before };
}

const ping = { client: 'local', tgt: 'minion-1', fun: 'test.ping' };

describe('impossible credentials cost no master round trip', () => {
  it.each([
    ['header: too short', '/events', { 'X-Auth-Token': 'ab'.repeat(10) }],
    ['header: unknown session id, not a sha256 token', '/events', { 'X-Auth-Token': 'ab'.repeat(20) }],
    ['header: not hex', '/events', { 'X-Auth-Token': 'zz'.repeat(32) }],
    ['query: too long', `/events?token=${'ab'.repeat(33)}`, {}],
    ['path: 63 digits', `/events/${'a'.repeat(63)}`, {}],
    ['cookie: unknown session id', '/events', { Cookie: `session_id=${'cd'.repeat(20)}` }],
  ])('/events, %s → 401', async (_name, path, headers) => {
    const { response, masterCalls } = await counted(() => api.call(path, { headers }));
    expect(response.status).toBe(401);
    expect(masterCalls).toBe(0);
  });

  it('asks the master about a token of the right form (and refuses it when unknown)', async () => {
    const { response, masterCalls } = await counted(() =>
      api.call('/events', { headers: { 'X-Auth-Token': 'ab'.repeat(32) } }),
    );
    expect(response.status).toBe(401);
    expect(masterCalls).toBe(1);
  });

  it.each([
    ['local', 'Authentication error occurred.'],
    ['local_async', 'Authentication error occurred.'],
    ['runner', 'Authentication failure of type "token" occurred.'],
    ['runner_async', 'Authentication failure of type "token" occurred.'],
    ['wheel', 'Authentication failure of type "token" occurred.'],
  ])(
    "/run with an impossible token, client %s: the master's own answer, without the master",
    async (client, message) => {
      const fun = client.startsWith('wheel') ? 'key.list_all' : client.startsWith('runner') ? 'test.arg' : 'test.ping';
      for (const token of ['ab'.repeat(20), '0x' + 'ab'.repeat(31), '1_' + 'a'.repeat(62)]) {
        const before = api.demo.requestCount();
        const response = await api.call('/run', json([{ client, tgt: 'minion-1', fun, token }]));
        expect(response.status).toBe(401);
        expect(pageMessage(await response.text())).toBe(message);
        expect(api.demo.requestCount() - before).toBe(0);
      }
    },
  );

  it('session routes refuse an unknown or malformed session id without the master', async () => {
    for (const id of ['ab'.repeat(20), 'AB'.repeat(20), 'x', 'ab'.repeat(32)]) {
      const { response, masterCalls } = await counted(() => api.call('/minions', { headers: { 'X-Auth-Token': id } }));
      expect(response.status).toBe(401);
      expect(masterCalls).toBe(0);
    }
  });

  it('still accepts real session ids and Salt tokens', async () => {
    const { token } = await login(api);
    expect((await api.call('/minions', { headers: { 'X-Auth-Token': token } })).status).toBe(200);
    const [{ token: saltToken }] = (await (await api.call('/token', json(SALTDEV))).json()) as [{ token: string }];
    expect((await api.call('/run', json([{ ...ping, token: saltToken }]))).status).toBe(200);
    const controller = new AbortController();
    const stream = await api.call('/events', { headers: { 'X-Auth-Token': saltToken }, signal: controller.signal });
    expect(stream.status).toBe(200);
    controller.abort();
    await stream.body?.cancel().catch(() => undefined);
  });
});

describe('the token form follows the master hash_type', () => {
  it('md5: 32-digit tokens work, 64-digit ones are refused without the master', async () => {
    const md5 = await startApi({ demo: { hashType: 'md5' }, settings: { master: { hashType: 'md5' } } });
    try {
      const [{ token }] = (await (await md5.call('/token', json(SALTDEV))).json()) as [{ token: string }];
      expect(token).toMatch(/^[0-9a-f]{32}$/);
      expect((await md5.call('/run', json([{ ...ping, token }]))).status).toBe(200);
      const before = md5.demo.requestCount();
      const refused = await md5.call('/run', json([{ ...ping, token: 'ab'.repeat(32) }]));
      expect(refused.status).toBe(401);
      expect(md5.demo.requestCount() - before).toBe(0);
    } finally {
      await md5.close();
    }
  });
});
