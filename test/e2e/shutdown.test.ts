import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { json, login, startApi, waitUntil, type ApiUnderTest } from '../support/api.js';
import { WebSocket } from '../support/ws.js';

/**
 * Graceful shutdown (issue "Production serving"): `server.close()` lets requests in flight
 * finish, ends event streams cleanly (SSE: end of the response; WebSocket: a normal close) and
 * refuses new connections from the moment it starts.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface SseState {
  status: number;
  text: string;
  /** The response ended with its terminating chunk. */
  ended: boolean;
  /** The connection was cut before the response ended (a reset). */
  aborted: boolean;
}

function openSse(api: ApiUnderTest, token: string): Promise<SseState> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      api.url + '/events',
      { headers: { accept: 'text/event-stream', 'X-Auth-Token': token } },
      (response) => {
        const state: SseState = { status: response.statusCode ?? 0, text: '', ended: false, aborted: false };
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (state.text += chunk));
        response.on('end', () => (state.ended = true));
        response.on('aborted', () => (state.aborted = true));
        response.on('error', () => (state.aborted = true));
        resolve(state);
      },
    );
    cleanups.push(() => void req.destroy());
    req.on('error', reject);
    req.end();
  });
}

async function openWs(api: ApiUnderTest, token: string): Promise<{ code: () => number | undefined }> {
  const socket = new WebSocket(api.url.replace(/^http/, 'ws') + '/ws', { headers: { 'X-Auth-Token': token } });
  cleanups.push(() => socket.terminate());
  let code: number | undefined;
  socket.on('close', (c) => (code = c));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.on('open', resolve);
    socket.on('error', reject);
  });
  socket.send('websocket client ready');
  return { code: () => code };
}

/** Whether a fresh TCP connection to the server is accepted. */
function connects(api: ApiUnderTest): Promise<boolean> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('server.close()', () => {
  it('finishes requests in flight, ends streams cleanly and refuses new connections', async () => {
    const api = await startApi();
    cleanups.push(() => api.close());
    const { token } = await login(api);
    const sse = await openSse(api, token);
    expect(sse.status).toBe(200);
    const ws = await openWs(api, token);
    expect(await connects(api)).toBe(true);

    const started = Date.now();
    const slow = api
      .call('/', json([{ client: 'local', tgt: 'minion-1', fun: 'test.sleep', arg: [1] }], { 'X-Auth-Token': token }))
      .then(async (response) => ({
        status: response.status,
        body: (await response.json()) as { return: Array<Record<string, unknown>> },
      }));
    // Let the request reach the master before shutting down.
    await waitUntil(() => api.server.master.channel.stats().requests >= 2, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const closing = api.server.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await connects(api)).toBe(false);

    const answer = await slow;
    expect(answer.status).toBe(200);
    expect(answer.body.return[0]).toEqual({ 'minion-1': true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    // Within seconds (the room is for a busy machine), not after the 72 s keep-alive timeout of the
    // connection that carried the slow request (Node's server.close() closes only the connections idle
    // when it is called).
    const closed = await Promise.race([
      closing.then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    if (!closed) api.server.app.server.closeAllConnections();
    expect(closed, 'server.close() still waiting on a keep-alive connection').toBe(true);
    await waitUntil(() => sse.ended || sse.aborted, 3_000);
    expect(sse.aborted).toBe(false);
    expect(sse.ended).toBe(true);
    await waitUntil(() => ws.code() !== undefined, 3_000);
    expect([1000, 1001]).toContain(ws.code());
  });
});
