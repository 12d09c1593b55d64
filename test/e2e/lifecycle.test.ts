import { request as httpRequest, type IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_UNAVAILABLE } from '../../src/http/auth/auth.js';
import { json, login, SALTDEV, startApi, startApiWithoutMaster, waitUntil, type ApiUnderTest } from '../support/api.js';
import { DemoMaster } from '../../src/demo/demo-master.js';
import { WebSocket, type WsClient } from '../support/ws.js';

/**
 * salt-apid and its master's lifecycle (issue "Production serving"): started with the master
 * down it serves anyway and answers 503 where the master is needed; a master restarted under
 * load neither crashes it nor drops its event streams, and requests work again within 2 s.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** An SSE reader on a raw HTTP request: everything received, and whether the stream ended. */
class Sse {
  text = '';
  ended = false;
  private constructor(readonly response: IncomingMessage) {}

  static open(api: ApiUnderTest, path: string, headers: Record<string, string>): Promise<Sse> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(api.url + path, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
        const sse = new Sse(response);
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (sse.text += chunk));
        response.on('close', () => (sse.ended = true));
        cleanups.push(() => void req.destroy());
        resolve(sse);
      });
      req.on('error', reject);
      req.end();
    });
  }
}

async function openWs(
  api: ApiUnderTest,
  token: string,
): Promise<{ socket: WsClient; messages: string[]; closed: () => boolean }> {
  const socket = new WebSocket(api.url.replace(/^http/, 'ws') + '/ws', { headers: { 'X-Auth-Token': token } });
  cleanups.push(() => socket.terminate());
  const messages: string[] = [];
  let closed = false;
  socket.on('message', (data) => messages.push(data.toString('utf8')));
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve, reject) => {
    socket.on('open', resolve);
    socket.on('error', reject);
  });
  socket.send('websocket client ready');
  return { socket, messages, closed: () => closed };
}

const PING = [{ client: 'local', tgt: '*', fun: 'test.ping' }];

describe('master down when salt-apid starts', () => {
  it('serves anyway, answers 503 where the master is needed, and recovers within 2 s of its start', async () => {
    const api = await startApiWithoutMaster({ settings: { rest: { webhookDisableAuth: true } } });
    cleanups.push(() => api.close());
    expect(api.server.master.available).toBe(false);

    const root = await api.call('/');
    expect(root.status).toBe(200);

    const refused = await api.call('/login', json(SALTDEV));
    expect(refused.status).toBe(503);
    expect(await refused.text()).toContain(MASTER_UNAVAILABLE);

    const hook = await api.call('/hook/some/tag', json({ a: 1 }));
    expect(hook.status).toBe(503);

    await api.startMaster();
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 2_000) {
      status = (await api.call('/login', json(SALTDEV))).status;
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect((await api.call('/hook/some/tag', json({ a: 1 }))).status).toBe(200);
  });
});

describe('master restarted under load', () => {
  it('does not crash, keeps SSE and WS clients, and serves again within 2 s of the restart', async () => {
    const api = await startApi();
    cleanups.push(() => api.close());
    const { token } = await login(api);
    const sse = await Sse.open(api, '/events', { 'X-Auth-Token': token });
    expect(sse.response.statusCode).toBe(200);
    const ws = await openWs(api, token);

    // Load: a few clients posting local test.ping in a loop, every answer recorded.
    const results: Array<{ status: number; ms: number; at: number }> = [];
    let running = true;
    cleanups.push(() => void (running = false));
    const worker = async (): Promise<void> => {
      while (running) {
        const t0 = Date.now();
        let status = 0;
        try {
          const response = await api.call('/', json(PING, { 'X-Auth-Token': token }));
          await response.arrayBuffer();
          status = response.status;
        } catch {
          status = -1;
        }
        results.push({ status, ms: Date.now() - t0, at: Date.now() });
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const workers = Array.from({ length: 4 }, () => worker());
    await waitUntil(() => results.filter((r) => r.status === 200).length >= 8, 5_000);

    const demoOptions = api.demo.options;
    const stoppedAt = Date.now();
    await api.demo.stop();
    await waitUntil(() => !api.server.master.available, 3_000);
    // While the master is down, requests are refused promptly (in-flight ones included).
    await waitUntil(() => results.some((r) => r.at > stoppedAt && (r.status === 503 || r.status === 504)), 2_000);
    await new Promise((resolve) => setTimeout(resolve, 500));

    const again = await DemoMaster.start(demoOptions);
    cleanups.push(() => again.stop());
    const restartedAt = Date.now();
    await waitUntil(() => results.some((r) => r.at > restartedAt && r.status === 200), 2_000);
    const recoveredIn =
      Math.min(...results.filter((r) => r.at > restartedAt && r.status === 200).map((r) => r.at)) - restartedAt;
    expect(recoveredIn).toBeLessThan(2_000);
    running = false;
    await Promise.all(workers);

    const during = results.filter((r) => r.at > stoppedAt && r.at < restartedAt);
    expect(during.every((r) => [200, 503, 504].includes(r.status))).toBe(true);
    // The requests in flight when the master went away ended well within their 30 s timeout.
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(3_000);

    // The process is still up and its streams still open and fed.
    expect((await api.call('/')).status).toBe(200);
    expect(sse.ended).toBe(false);
    expect(ws.closed()).toBe(false);
    const fired = await api.call('/hook/lifecycle/after', json({ n: 1 }, { 'X-Auth-Token': token }));
    expect(fired.status).toBe(200);
    await waitUntil(() => sse.text.includes('salt/netapi/hook/lifecycle/after'), 3_000);
    await waitUntil(() => ws.messages.some((m) => m.includes('salt/netapi/hook/lifecycle/after')), 3_000);
  });
});
