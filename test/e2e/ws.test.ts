import { afterEach, describe, expect, it } from 'vitest';
import { apiPerTest, json, login, SALTDEV, waitUntil, type ApiUnderTest } from '../support/api.js';
import { ACK, READY, terminateWsClients, WebSocket, wsUrl, WsEventClient, type WsClient } from '../support/ws.js';

/**
 * The event WebSockets over the real server, wire layer and demo master: rest_cherrypy's /ws
 * and rest_tornado's /all_events and /formatted_events (docs/routes.md "GET /ws").
 */

const start = apiPerTest();
const sockets: WsClient[] = [];
// After hooks run last registered first: the sockets close before the APIs do.
afterEach(() => {
  terminateWsClients();
  for (const socket of sockets.splice(0)) socket.terminate();
});

/** The HTTP answer to an upgrade the server refuses. */
function refused(
  api: ApiUnderTest,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const socket = new WebSocket(wsUrl(api, path), { headers });
  sockets.push(socket);
  return new Promise((resolve, reject) => {
    socket.on('open', () => reject(new Error(`${path} was upgraded`)));
    socket.on('error', () => undefined);
    socket.on('unexpected-response', (request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      response.on('end', () => {
        request.destroy();
        resolve({ status: response.statusCode ?? 0, body });
      });
    });
  });
}

const isFrameOf = (tag: string) => (message: string) => message.includes(`"tag": "${tag}"`);

async function saltToken(api: ApiUnderTest): Promise<string> {
  const minted = await api.call('/token', json(SALTDEV));
  const [{ token }] = (await minted.json()) as [{ token: string }];
  return token;
}

interface JobsFrame {
  jobs: Record<
    string,
    { jid?: string; fun?: string; state?: string; minions: Record<string, { success: boolean; return?: unknown }> }
  >;
}

describe('/ws', () => {
  it('delivers the event of a POST to /hook, round trip through the master bus, in SSE form', async () => {
    const api = await start();
    const { token } = await login(api);
    const client = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    await client.say(READY);
    const hook = await api.call('/hook/deploy/web', json({ ref: 'main' }, { 'X-Auth-Token': token }));
    expect(hook.status).toBe(200);
    const frame = await client.waitFor(
      (m) => m.startsWith('data: ') && m.includes('"tag": "salt/netapi/hook/deploy/web"'),
    );
    expect(frame.endsWith('\n\n')).toBe(true);
    const event = JSON.parse(frame.slice('data: '.length)) as { data: Record<string, unknown>; tag: string };
    expect(Object.keys(event)).toEqual(['data', 'tag']);
    expect(event.data['post']).toEqual({ ref: 'main' });
    expect(event.data['body']).toBe('{"ref":"main"}');
  });

  it('acknowledges every message, pushes nothing before ready, then raw frames in SSE form', async () => {
    const api = await start();
    const { token } = await login(api);
    const witness = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    await witness.say(READY);
    const ownOrigin = new URL(api.url).origin;
    const client = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token, Origin: ownOrigin });
    expect(client.upgradeHeaders['access-control-allow-origin']).toBe(ownOrigin);
    expect(client.upgradeHeaders['set-cookie']?.[0]).toMatch(
      new RegExp(`^session_id=${token}; expires=.*; Max-Age=36000; Path=/; HttpOnly; SameSite=Lax$`),
    );
    expect(client.upgradeHeaders['sec-websocket-extensions']).toBeUndefined();

    await client.say('hello');
    expect(client.messages).toEqual([ACK]);
    api.demo.fireEvent('salt/test/before', { n: 0 });
    await witness.waitFor(isFrameOf('salt/test/before'));

    await client.say(READY);
    api.demo.fireEvent('salt/test/after', { n: 1 });
    const frame = await client.waitFor(isFrameOf('salt/test/after'));
    const stamp = /"_stamp": "([^"]+)"/.exec(frame)?.[1];
    expect(frame).toBe(`data: {"data": {"n": 1, "_stamp": "${stamp}"}, "tag": "salt/test/after"}\n\n`);
    expect(client.messages.some(isFrameOf('salt/test/before'))).toBe(false);
    expect(witness.messages).toContain(frame);
    await client.say('websocket client ready');
    expect(api.server.app.streams.stats().ws).toBe(2);
  });

  it('accepts the session by cookie, in the path and as ?token=, but not a raw Salt token in the path', async () => {
    const api = await start();
    const { token } = await login(api);
    const clients = await Promise.all([
      WsEventClient.open(api, '/ws', { Cookie: `session_id=${token}` }),
      WsEventClient.open(api, `/ws/${token}`),
      WsEventClient.open(api, `/ws?token=${token}`),
      WsEventClient.open(api, `/ws?format_events&other=1`, { 'X-Auth-Token': token }),
    ]);
    for (const client of clients) await client.say(READY);
    api.demo.fireEvent('salt/test/fanout', { n: 2 });
    await Promise.all(clients.slice(0, 3).map((client) => client.waitFor(isFrameOf('salt/test/fanout'))));
    expect((await refused(api, `/ws/${await saltToken(api)}`)).status).toBe(401);
  });

  it('answers 401 (HTML page) before the upgrade without a session or with a bad one', async () => {
    const api = await start();
    for (const [path, headers] of [
      ['/ws', {}],
      ['/ws', { 'X-Auth-Token': 'ab'.repeat(20) }],
      [`/ws/${'ab'.repeat(20)}`, {}],
    ] as const) {
      const answer = await refused(api, path, headers);
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('<h2>401 Unauthorized</h2>');
    }
    const { token } = await login(api);
    const plain = await api.call('/ws', { headers: { 'X-Auth-Token': token } });
    expect(plain.status).toBe(400);
    const post = await api.call('/ws', { method: 'POST', headers: { 'X-Auth-Token': token } });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('format_events: the jobs view of a real job, minions on key events, as plain JSON', async () => {
    const api = await start();
    const { token } = await login(api);
    const client = await WsEventClient.open(api, '/ws?format_events', { Cookie: `session_id=${token}` });
    await client.say(READY);
    api.demo.fireEvent('flat', { ignored: true });
    api.demo.fireEvent('salt/key', { id: 'minion-9', act: 'accept', result: true });
    expect(await client.waitFor((m) => m.startsWith('{"minions"'))).toBe('{"minions": [{"id": "minion-9"}]}');
    expect(client.messages).toEqual([ACK, '{"minions": [{"id": "minion-9"}]}']);

    const run = await api.call(
      '/',
      json([{ client: 'local_async', tgt: '*', fun: 'test.ping' }], { 'X-Auth-Token': token }),
    );
    const {
      return: [{ jid }],
    } = (await run.json()) as { return: [{ jid: string }] };
    const jobs = (message: string): JobsFrame | undefined =>
      message.startsWith('{"jobs"') ? (JSON.parse(message) as JobsFrame) : undefined;
    const first = jobs(await client.waitFor((m) => jobs(m)?.jobs[jid] !== undefined));
    expect(first?.jobs[jid]).toMatchObject({ jid, fun: 'test.ping', state: 'running' });
    expect(Object.values(first?.jobs[jid]?.minions ?? {})).toContainEqual({ success: false });
    const done = jobs(await client.waitFor((m) => jobs(m)?.jobs[jid]?.state === 'complete'));
    for (const minion of Object.values(done?.jobs[jid]?.minions ?? {}))
      expect(minion).toMatchObject({ return: true, success: true });
    expect(client.messages.every((m) => !m.startsWith('data:') && !m.endsWith('\n'))).toBe(true);
  });

  it('closes the socket with a normal close when the session logs out', async () => {
    const api = await start();
    const { token } = await login(api);
    const client = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    await client.say(READY);
    expect((await api.call('/logout', { method: 'POST', headers: { 'X-Auth-Token': token } })).status).toBe(200);
    expect((await client.ended()).code).toBe(1000);
    await waitUntil(() => api.server.app.streams.stats().ws === 0);
  });

  it('cuts off a client that stops reading while another keeps receiving every event', async () => {
    const api = await start();
    const { token } = await login(api);
    const reader = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    const stuck = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    await reader.say(READY);
    await stuck.say(READY);
    stuck.socket._socket.pause();

    const padding = 'x'.repeat(8_000);
    const total = 3_000;
    // Counted as they come, each poll reading only the new messages: filtering all of them (up to 3,000 of
    // 8 KB) at every poll took about 0.9 s of CPU a run.
    let counted = 0;
    let read = 0;
    const received = (): number => {
      for (; read < reader.messages.length; read++)
        if (reader.messages[read]!.includes('"tag": "salt/test/flood/')) counted++;
      return counted;
    };
    for (let i = 0; i < total; i++) {
      api.demo.fireEvent(`salt/test/flood/${i}`, { i, padding });
      // In this one process the demo master would outrun its own reader; pace it by the reader
      // (never more than 200 events ahead, far below the 1,000 that cut a stream off), so that only
      // the client that stopped reading falls behind, however busy the machine is.
      if (i % 50 === 49) await waitUntil(() => received() >= i - 200, 10_000);
    }
    await reader.waitFor(isFrameOf(`salt/test/flood/${total - 1}`), 15_000);
    const flood = reader.messages.filter((m) => m.includes('"tag": "salt/test/flood/'));
    expect(flood).toHaveLength(total);
    await waitUntil(() => api.server.app.streams.stats().droppedSlow === 1);
    await waitUntil(() => api.server.app.streams.stats().ws === 1);
    // Reading again, the cut-off client finds its connection gone.
    stuck.socket._socket.resume();
    await stuck.ended();
    expect(reader.closed).toBeUndefined();
  });
});

describe('rest_tornado /all_events and /formatted_events', () => {
  it('/all_events/<Salt token>: plain JSON frames after ready, no acknowledgements', async () => {
    const api = await start();
    const token = await saltToken(api);
    const client = await WsEventClient.open(api, `/all_events/${token}`);
    const subscribers = api.server.streamSubscribers();
    client.socket.send(READY);
    // Nothing answers the message itself: wait for the stream's subscription, and for the streams'
    // reader (started by this first stream) to read the bus, then fire.
    await waitUntil(() => api.server.streamSubscribers() > subscribers && api.server.streamsFed());
    api.demo.fireEvent('salt/test/tornado', { n: 3 });
    const frame = await client.waitFor(isFrameOf('salt/test/tornado'));
    const stamp = /"_stamp": "([^"]+)"/.exec(frame)?.[1];
    expect(frame).toBe(`{"data": {"n": 3, "_stamp": "${stamp}"}, "tag": "salt/test/tornado"}`);
    expect(client.messages).not.toContain(ACK);
  });

  it('/formatted_events/<Salt token>: starts grains.items on ready, minions as a map, frames end in a blank line', async () => {
    const api = await start();
    const token = await saltToken(api);
    const client = await WsEventClient.open(api, `/formatted_events/${token}`);
    client.socket.send(READY);
    const frame = await client.waitFor((m) => m.startsWith('{"minions"'));
    expect(frame.endsWith('}\n\n')).toBe(true);
    const { minions } = JSON.parse(frame) as {
      minions: Record<string, { id: string; grains: Record<string, unknown> }>;
    };
    const [id, info] = Object.entries(minions)[0] ?? [];
    expect(info?.id).toBe(id);
    expect(info?.grains['id']).toBe(id);
    expect(client.messages.every((m) => m.endsWith('\n\n'))).toBe(true);
  });

  it('refuses a token the master does not know (401) and one of the wrong form (404, as Tornado)', async () => {
    const api = await start();
    const token = await saltToken(api);
    const unknown = 'ab'.repeat(32);
    const bad = await refused(api, `/all_events/${unknown}`);
    expect(bad.status).toBe(401);
    expect(bad.body).toContain('<h2>401 Unauthorized</h2>');
    expect((await refused(api, `/formatted_events/${unknown}`)).status).toBe(401);
    expect((await refused(api, `/all_events/${token.slice(0, 40)}`)).status).toBe(404);
    expect((await refused(api, `/formatted_events/${token}00`)).status).toBe(404);
  });
});

describe('WebSocket Origin check', () => {
  it('without cors_origin: a foreign or null Origin is refused 403 before the upgrade; the own origin and no Origin are served', async () => {
    const api = await start();
    const { token } = await login(api);
    const saltTok = await saltToken(api);
    for (const path of ['/ws', `/ws/${token}`, `/all_events/${saltTok}`, `/formatted_events/${saltTok}`]) {
      for (const origin of ['https://evil.example', 'null', `${new URL(api.url).origin}.evil.example`]) {
        const answer = await refused(api, path, { 'X-Auth-Token': token, Origin: origin });
        expect(answer.status, `${path} ${origin}`).toBe(403);
        expect(answer.body).toContain('not allowed');
      }
    }
    const own = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token, Origin: new URL(api.url).origin });
    await own.say(READY);
    const script = await WsEventClient.open(api, `/all_events/${saltTok}`);
    expect(script.closed).toBeUndefined();
  });

  it('checks the Origin before the credentials, so a refused page learns nothing about them', async () => {
    const api = await start();
    const answer = await refused(api, '/ws', { 'X-Auth-Token': 'ab'.repeat(20), Origin: 'https://evil.example' });
    expect(answer.status).toBe(403);
  });

  it('with cors_origin, the listed origins (or any but null under "*") are served', async () => {
    const api = await start({ settings: { rest: { corsOrigin: ['https://gui.example'] } } });
    const { token } = await login(api);
    const listed = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token, Origin: 'https://gui.example' });
    await listed.say(READY);
    expect(listed.upgradeHeaders['access-control-allow-origin']).toBe('https://gui.example');
    expect((await refused(api, '/ws', { 'X-Auth-Token': token, Origin: 'https://other.example' })).status).toBe(403);
    // The server's own origin is not implied once cors_origin lists origins.
    expect((await refused(api, '/ws', { 'X-Auth-Token': token, Origin: new URL(api.url).origin })).status).toBe(403);

    const star = await start({ settings: { rest: { corsOrigin: '*' } } });
    const starLogin = await login(star);
    const any = await WsEventClient.open(star, '/ws', {
      'X-Auth-Token': starLogin.token,
      Origin: 'https://any.example',
    });
    await any.say(READY);
    expect((await refused(star, '/ws', { 'X-Auth-Token': starLogin.token, Origin: 'null' })).status).toBe(403);
  });
});
