import { connect, type Socket } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { apiPerTest, json, login, SALTDEV, waitUntil } from '../support/api.js';
import { SseClient } from '../support/sse.js';
import type { SaltValue } from '../../src/salt/codec/values.js';

/**
 * /events (SSE) and /hook over the real server, the real wire layer and the demo master's bus:
 * a hook POST goes to the master's pull socket, comes back on its publisher, and reaches every
 * stream in salt-api's framing.
 */
/** A full garbage collection, so heap figures count live memory only. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

const start = apiPerTest();

describe('/events', () => {
  it('streams a /hook event in salt-api framing (retry, tag, data with {"data", "tag"})', async () => {
    const api = await start();
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toBe('text/event-stream;charset=utf-8');
    expect(sse.headers.get('cache-control')).toBe('no-cache');
    expect(sse.headers.get('access-control-allow-origin')).toBe('*');
    await sse.waitFor('retry: 400\n');
    const hook = await api.call(
      '/hook/deploy/web',
      json(
        { secretkey: 'abc', arg: 'x' },
        {
          'X-Auth-Token': token,
          Cookie: `session_id=${token}`,
          'X-Hub-Signature-256': 'sha256=f00d',
          'X-Github-Event': 'push',
        },
      ),
    );
    expect(hook.status).toBe(200);
    expect(await hook.text()).toBe('{"success": true}');
    await sse.waitFor('tag: salt/netapi/hook/deploy/web\n');
    sse.close();
    expect(sse.text.startsWith('retry: 400\ntag: ')).toBe(true);
    const block = sse.text.slice(sse.text.indexOf('tag: salt/netapi/hook/deploy/web'));
    const [tagLine, dataLine, blank] = block.split('\n');
    expect(tagLine).toBe('tag: salt/netapi/hook/deploy/web');
    expect(blank).toBe('');
    const payload = JSON.parse((dataLine ?? '').slice('data: '.length)) as {
      data: Record<string, unknown>;
      tag: string;
    };
    expect(Object.keys(payload)).toEqual(['data', 'tag']);
    expect(payload.tag).toBe('salt/netapi/hook/deploy/web');
    expect(Object.keys(payload.data)).toEqual(['body', 'post', 'headers', '_stamp']);
    expect(payload.data['post']).toEqual({ secretkey: 'abc', arg: ['x'] });
    expect(payload.data['body']).toBe('{"secretkey":"abc","arg":"x"}');
    expect(payload.data['headers']).toMatchObject({
      'Remote-Addr': '127.0.0.1',
      'Content-Type': 'application/json',
      'X-Github-Event': 'push',
    });
    // The caller's session id and the webhook signature never reach other readers of the bus.
    expect(Object.keys(payload.data['headers'] as object)).not.toContain('X-Auth-Token');
    expect(dataLine).not.toContain(token);
    expect(dataLine).not.toContain('f00d');
  });

  it('is fed by a thread of its own: a stream holds nothing on the main bus connection, and its filter picks what the thread sends', async () => {
    const api = await start();
    const { token } = await login(api);
    const onMainBus = api.server.master.stats().bus.subscribers;
    const sse = await SseClient.open(api, '/events?tag=salt/test/feed/*', { 'X-Auth-Token': token });
    await waitUntil(() => api.server.streamSubscribers() === 1);
    for (let n = 0; n < 20; n++)
      api.demo.fireEvent(n % 2 === 0 ? `salt/test/feed/${n}` : `salt/test/other/${n}`, { n });
    await sse.waitFor('tag: salt/test/feed/18\n');
    expect(api.server.master.stats().bus.subscribers).toBe(onMainBus);
    expect(sse.text.match(/^tag: .*$/gm)).toEqual(Array.from({ length: 10 }, (_, i) => `tag: salt/test/feed/${2 * i}`));
    sse.close();
  });

  it('accepts the session id as cookie, in the path and as ?token=, and a raw Salt token', async () => {
    const api = await start();
    const { token } = await login(api);
    const minted = await api.call('/token', json(SALTDEV));
    const [{ token: saltToken }] = (await minted.json()) as [{ token: string }];
    const clients = await Promise.all([
      SseClient.open(api, '/events', { Cookie: `session_id=${token}` }),
      SseClient.open(api, `/events/${token}`),
      SseClient.open(api, `/events?token=${token}`),
      SseClient.open(api, `/events?salt_token=${saltToken}`),
      SseClient.open(api, '/events', { 'X-Auth-Token': saltToken }),
    ]);
    expect(clients.map((c) => c.status)).toEqual([200, 200, 200, 200, 200]);
    api.demo.fireEvent('salt/test/fanout', { n: 1 });
    await Promise.all(clients.map((c) => c.waitFor('tag: salt/test/fanout\n')));
    for (const c of clients) c.close();
  });

  it('writes event data with the keys in the order they came on the bus, as salt-api does', async () => {
    const api = await start();
    const { token } = await login(api);
    const client = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    // Process ids as keys (status.procs, ps.top): a JavaScript object would list them first.
    const procs = new Map<SaltValue, SaltValue>([
      ['sshd', 1],
      ['4321', 'salt-minion'],
      ['77', 'bash'],
      ['init', 2],
    ]);
    api.demo.fireEvent('salt/test/ordered', { procs });
    await client.waitFor('tag: salt/test/ordered\n');
    await client.waitFor('"procs": {"sshd": 1, "4321": "salt-minion", "77": "bash", "init": 2}');
    client.close();
  });

  it('answers 401 without a token, with a bad one, and with a non-hex one', async () => {
    const api = await start();
    for (const [path, headers] of [
      ['/events', {}],
      ['/events', { 'X-Auth-Token': 'ab'.repeat(20) }],
      ['/events?token=not-hex', {}],
    ] as const) {
      const client = await SseClient.open(api, path, headers);
      expect(client.status).toBe(401);
      expect(client.text).toContain('<h2>401 Unauthorized</h2>');
    }
  });

  it('refuses URL tokens when events_url_tokens is off, as upstream salt-api now does', async () => {
    const api = await start({ settings: { rest: { eventsUrlTokens: false } } });
    const { token } = await login(api);
    expect((await SseClient.open(api, `/events?token=${token}`)).status).toBe(400);
    expect((await SseClient.open(api, `/events/${token}`)).status).toBe(404);
    const ok = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    expect(ok.status).toBe(200);
    ok.close();
  });

  it('ends the stream when the session logs out', async () => {
    const api = await start();
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    await sse.waitFor('retry: 400\n');
    expect((await api.call('/logout', { method: 'POST', headers: { 'X-Auth-Token': token } })).status).toBe(200);
    await sse.ended();
    expect(api.server.app.streams.stats().sse).toBe(0);
  });

  it('ends the stream when the Salt token expires', async () => {
    const api = await start({ demo: { tokenExpire: 1 } });
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    await sse.waitFor('retry: 400\n');
    const started = Date.now();
    await sse.ended();
    // At the expiry (1 s after the login), not at some later check; the margin is for a busy machine.
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('cuts off a client that stops reading while another keeps receiving every event promptly', async () => {
    const api = await start();
    const { token } = await login(api);
    // Numbers, not substrings: a substring would keep its whole received chunk alive.
    const seen = new Set<number>();
    const reader = await SseClient.open(api, '/events', { 'X-Auth-Token': token }, (line) => {
      const flood = /^tag: salt\/test\/flood\/(\d+)$/.exec(line);
      if (flood) seen.add(Number(flood[1]));
    });
    await waitUntil(() => api.server.app.streams.stats().sse === 1);

    // A client that sends its request and then never reads: its socket buffers fill up.
    const stuck: Socket = connect(new URL(api.url).port ? Number(new URL(api.url).port) : 80, '127.0.0.1');
    let stuckClosed = false;
    stuck.on('close', () => (stuckClosed = true));
    stuck.on('error', () => undefined);
    stuck.write(`GET /events HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ${token}\r\n\r\n`);
    stuck.pause();
    await waitUntil(() => api.server.app.streams.stats().sse === 2);

    collectGarbage();
    const heapBefore = process.memoryUsage().heapUsed;
    const padding = 'x'.repeat(8_000);
    const total = 3_000;
    for (let i = 0; i < total; i++) {
      api.demo.fireEvent(`salt/test/flood/${i}`, { i, padding });
      // In this one process the demo master would outrun its own reader; pace it by the reader
      // (never more than 200 events ahead, far below the 1,000 that cut a stream off), so that only
      // the client that stopped reading falls behind, however busy the machine is.
      if (i % 50 === 49) await waitUntil(() => seen.size >= i - 200, 10_000);
    }
    await waitUntil(() => seen.has(total - 1), 15_000);
    reader.close();
    const missing = Array.from({ length: total }, (_, i) => i).filter((i) => !seen.has(i));
    expect(missing).toEqual([]);
    expect(api.server.master.stats().bus.reconnects).toBe(0);
    await waitUntil(() => api.server.app.streams.stats().droppedSlow === 1, 5_000);
    await waitUntil(() => api.server.app.streams.stats().sse === 0, 5_000);
    // Reading again, the cut-off client finds its connection closed rather than a live stream.
    stuck.resume();
    await waitUntil(() => stuckClosed, 5_000);
    // 24 MB went through; nothing of it may stay behind once the stuck client is gone.
    collectGarbage();
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 1024 * 1024);
    stuck.destroy();
  });
});

describe('/hook', () => {
  it('needs a session unless webhook_disable_auth', async () => {
    const locked = await start();
    const refused = await locked.call('/hook/x', json({ a: 1 }));
    expect(refused.status).toBe(401);
    await refused.text();
    const open = await start({ settings: { rest: { webhookDisableAuth: true } } });
    const sse = await SseClient.open(open, '/events', { 'X-Auth-Token': (await login(open)).token });
    const accepted = await open.call('/hook/services/restart', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'secretkey=s3cret&arg=yes',
    });
    expect(accepted.status).toBe(200);
    await sse.waitFor('tag: salt/netapi/hook/services/restart\n');
    expect(sse.text).toContain('"post": {"secretkey": "s3cret", "arg": [true]}');
    expect(sse.text).toContain('"body": "secretkey=s3cret&arg=yes"');
    sse.close();
  });

  it('answers only POST, refuses bodies over max_request_body_size, and follows webhook_url', async () => {
    const api = await start({
      settings: { rest: { webhookUrl: '/ci/trigger', maxRequestBodySize: 1_000, webhookDisableAuth: true } },
    });
    const get = await api.call('/ci/trigger');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await api.call('/hook', json({}))).status).toBe(404);
    expect((await api.call('/ci/trigger', json({ big: 'x'.repeat(2_000) }))).status).toBe(413);
    expect((await api.call('/ci/trigger/build', json({ ok: true }))).status).toBe(200);
  });

  it('answers 503 when the master is down', async () => {
    const api = await start({ settings: { rest: { webhookDisableAuth: true } } });
    await api.demo.stop();
    await waitUntil(() => !api.server.master.available);
    expect((await api.call('/hook/x', json({}))).status).toBe(503);
  });
});
