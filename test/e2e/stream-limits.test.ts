import { afterEach, describe, expect, it } from 'vitest';
import type { RestSettings } from '../../src/config/types.js';
import { apiPerTest, login, type ApiUnderTest } from '../support/api.js';
import { SseClient } from '../support/sse.js';
import { terminateWsClients, WebSocket, WsEventClient, wsUrl } from '../support/ws.js';

/**
 * The caps on open event streams (`max_streams_per_session`, `max_streams_per_user`), `/events`
 * and `/ws` counted together, over the real server and the demo master.
 */

const startForTest = apiPerTest();
const streams: SseClient[] = [];
// After hooks run last registered first: the streams close before the APIs do.
afterEach(() => {
  for (const sse of streams.splice(0)) sse.close();
  terminateWsClients();
});

function start(rest: Partial<RestSettings>): Promise<ApiUnderTest> {
  return startForTest({ settings: { rest } });
}

/** Opens `/events`; the client is closed after the test. */
async function openSse(api: ApiUnderTest, token: string): Promise<SseClient> {
  const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
  streams.push(sse);
  if (sse.status === 200) await sse.waitFor('retry: 400\n');
  return sse;
}

/** The status of a WebSocket handshake on `/ws` (101 when it opened; the socket is then kept). */
function wsHandshake(api: ApiUnderTest, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl(api, '/ws'), { headers: { 'X-Auth-Token': token } });
    socket.on('open', () => resolve({ status: 101, body: '' }));
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    socket.on('error', reject);
  });
}

/** Tries to open a stream until it is let in (a place comes free once the server saw the close). */
async function openWhenFree(open: () => Promise<number>): Promise<void> {
  for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
    const status = await open();
    if (status === 200 || status === 101) return;
    expect(status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no place came free');
}

const envelope = (body: string): unknown => JSON.parse(body);

describe('event streams per session and per user', () => {
  it('refuses the stream past max_streams_per_session with 429, and a closed stream frees its place', async () => {
    const api = await start({ maxStreamsPerSession: 2, maxStreamsPerUser: 10 });
    const { token } = await login(api);
    const first = await openSse(api, token);
    await openSse(api, token);
    const refused = await api.call('/events', { headers: { 'X-Auth-Token': token } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect(envelope(await refused.text())).toEqual({
      status: 429,
      return: 'Too many event streams are open for this session (max_streams_per_session); close one first.',
    });
    // Another session of the same user is not held to this session's cap.
    const other = await login(api);
    expect((await openSse(api, other.token)).status).toBe(200);
    first.close();
    await openWhenFree(async () => (await openSse(api, token)).status);
  });

  it('counts every session of a user against max_streams_per_user', async () => {
    const api = await start({ maxStreamsPerSession: 2, maxStreamsPerUser: 3 });
    const a = await login(api);
    const b = await login(api);
    await openSse(api, a.token);
    await openSse(api, a.token);
    const held = await openSse(api, b.token);
    expect(held.status).toBe(200);
    const refused = await api.call('/events', { headers: { 'X-Auth-Token': b.token } });
    expect(refused.status).toBe(429);
    expect(await refused.text()).toContain('(max_streams_per_user)');
    // Another user is not affected.
    const auto = await login(api, { username: 'autouser', password: 'x', eauth: 'auto' });
    expect((await openSse(api, auto.token)).status).toBe(200);
    held.close();
    await openWhenFree(async () => (await openSse(api, b.token)).status);
  });

  it('counts /ws with /events: a refused handshake is a 429 before any upgrade', async () => {
    const api = await start({ maxStreamsPerSession: 2, maxStreamsPerUser: 10 });
    const { token } = await login(api);
    await openSse(api, token);
    const socket = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    const refused = await wsHandshake(api, token);
    expect(refused.status).toBe(429);
    expect(envelope(refused.body)).toMatchObject({ status: 429 });
    expect((await api.call('/events', { headers: { 'X-Auth-Token': token } })).status).toBe(429);
    socket.socket.close();
    await openWhenFree(async () => (await wsHandshake(api, token)).status);

    const metrics = await (await api.call('/metrics', { headers: { 'X-Auth-Token': token } })).text();
    expect(metrics).toMatch(/^saltapid_streams_refused_total\{reason="session"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^saltapid_streams_refused_total\{reason="user"\} 0$/m);
  });

  it('takes no place for a HEAD, nor for a plain GET of /ws, and 0 turns the caps off', async () => {
    const api = await start({ maxStreamsPerSession: 1, maxStreamsPerUser: 1 });
    const { token } = await login(api);
    for (let i = 0; i < 3; i++) {
      expect((await api.call('/events', { method: 'HEAD', headers: { 'X-Auth-Token': token } })).status).toBe(200);
      expect((await api.call('/ws', { headers: { 'X-Auth-Token': token } })).status).toBe(400);
    }
    expect((await openSse(api, token)).status).toBe(200);

    const open = await start({ maxStreamsPerSession: 0, maxStreamsPerUser: 0 });
    const session = await login(open);
    for (let i = 0; i < 20; i++) expect((await openSse(open, session.token)).status).toBe(200);
  });
});
