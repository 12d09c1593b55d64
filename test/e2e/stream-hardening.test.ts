import { afterEach, describe, expect, it } from 'vitest';
import type { SaltValue } from '../../src/salt/codec/values.js';
import { apiPerTest, json, login, SALTDEV, waitUntil, type ApiUnderTest } from '../support/api.js';
import { parseSse, SseClient } from '../support/sse.js';
import { READY, terminateWsClients, WsEventClient } from '../support/ws.js';

/**
 * Event streams against hostile input: keys that are Object.prototype members (`__proto__`,
 * `constructor`…) as minion ids, jids, tags and data keys; tags and hook paths with CR/LF; and
 * tokens that expire while a stream is open. Every stream view runs over the real server, wire
 * layer and demo master bus.
 */

const start = apiPerTest();
// After hooks run last registered first: the WebSocket clients close before the APIs do.
afterEach(terminateWsClients);

const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** Object.prototype's own members, to compare before and after. */
function prototypeMembers(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** A mapping whose keys are own keys even when they are `__proto__` (as the wire delivers them). */
function withKeys(entries: Array<[string, SaltValue]>): Record<string, SaltValue> {
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, SaltValue>;
}

/** Events whose tags, jids, minion ids and data keys are Object.prototype member names. */
function hostileEvents(): Array<{ tag: string; data: Record<string, SaltValue> }> {
  const events: Array<{ tag: string; data: Record<string, SaltValue> }> = [];
  for (const name of PROTO_NAMES) {
    const nested = withKeys([[name, withKeys([[name, [name]]])]]);
    events.push(
      {
        tag: `salt/job/${name}/new`,
        data: withKeys([
          ['jid', name],
          ['minions', [...PROTO_NAMES]],
          ['fun', name],
          [name, nested],
        ]),
      },
      {
        tag: `salt/job/${name}/ret/${name}`,
        data: withKeys([
          ['id', name],
          ['return', nested],
          ['retcode', 0],
          ['success', true],
          [name, name],
        ]),
      },
      {
        tag: `salt/job/20261125000000000000/ret/${name}`,
        data: withKeys([
          ['fun', 'grains.items'],
          ['return', nested],
          ['success', true],
        ]),
      },
      {
        tag: 'salt/key',
        data: withKeys([
          ['id', name],
          ['act', 'accept'],
          ['result', true],
        ]),
      },
      { tag: `salt/${name}/${name}`, data: nested },
      { tag: name, data: nested },
      {
        tag: `salt/job/${name}/ret/${name}/${name}`,
        data: withKeys([
          ['jid', nested],
          ['id', nested],
        ]),
      },
    );
  }
  events.push({ tag: 'salt/presence/present', data: { present: [...PROTO_NAMES] } });
  events.push({
    tag: 'salt/presence/change',
    data: withKeys([
      ['present', withKeys([['__proto__', 1]])],
      ['new', [...PROTO_NAMES]],
    ]),
  });
  for (const name of PROTO_NAMES)
    events.push({
      tag: 'salt/key',
      data: withKeys([
        ['id', name],
        ['act', 'delete'],
        ['result', true],
      ]),
    });
  return events;
}

async function saltToken(api: ApiUnderTest): Promise<string> {
  const minted = await api.call('/token', json(SALTDEV));
  const [{ token }] = (await minted.json()) as [{ token: string }];
  return token;
}

/** One client of every stream view, all subscribed. */
async function openEveryView(api: ApiUnderTest, session: string, salt: string) {
  const subscribers = api.server.streamSubscribers();
  const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': session });
  const raw = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': session });
  const formatted = await WsEventClient.open(api, '/ws?format_events', { 'X-Auth-Token': session });
  const tornadoAll = await WsEventClient.open(api, `/all_events/${salt}`);
  const tornadoFormatted = await WsEventClient.open(api, `/formatted_events/${salt}`);
  await raw.say(READY);
  await formatted.say(READY);
  tornadoAll.socket.send(READY);
  tornadoFormatted.socket.send(READY);
  await waitUntil(() => api.server.streamSubscribers() >= subscribers + 5);
  return { sse, raw, formatted, tornadoAll, tornadoFormatted };
}

describe('keys that are Object.prototype members', () => {
  it('pass through every stream view without touching Object.prototype; every client keeps streaming', async () => {
    const api = await start();
    const { token } = await login(api);
    const views = await openEveryView(api, token, await saltToken(api));
    const before = prototypeMembers();

    for (const event of hostileEvents()) api.demo.fireEvent(event.tag, event.data);
    // Markers after the hostile events: every view must still be streaming.
    api.demo.fireEvent('salt/test/after', { n: 1 });
    api.demo.fireEvent('salt/key', { id: 'after-marker', act: 'accept', result: true });

    await views.sse.waitFor('tag: salt/test/after\n');
    await views.raw.waitFor((m) => m.includes('"tag": "salt/test/after"'));
    await views.tornadoAll.waitFor((m) => m.includes('"tag": "salt/test/after"'));
    await views.formatted.waitFor((m) => m.includes('after-marker'));
    await views.tornadoFormatted.waitFor((m) => m.includes('after-marker'));

    expect(prototypeMembers()).toEqual(before);
    const probe: Record<string, unknown> = {};
    for (const key of ['return', 'retcode', 'success', 'grains', 'id', 'minions', 'state'])
      expect(probe[key]).toBeUndefined();
    expect(api.server.app.streams.stats()).toMatchObject({ sse: 1, ws: 4 });
    for (const client of [views.raw, views.formatted, views.tornadoAll, views.tornadoFormatted])
      expect(client.closed).toBeUndefined();

    // The ids are plain keys of the views: the jobs view of jid `__proto__` lists minion `__proto__`.
    const jobs = views.formatted.messages
      .filter((m) => m.startsWith('{"jobs"'))
      .map((m) => JSON.parse(m) as { jobs: object });
    const last = jobs[jobs.length - 1]?.jobs as Record<string, { minions: Record<string, unknown> }>;
    expect(Object.hasOwn(last, '__proto__')).toBe(true);
    expect(Object.keys(last['__proto__']?.minions ?? {})).toEqual(expect.arrayContaining([...PROTO_NAMES]));
    // The raw views carry the data keys as they came.
    const raw = views.raw.messages.find((m) => m.includes('"tag": "salt/__proto__/__proto__"')) ?? '';
    expect(raw).toContain('{"__proto__": {"__proto__": ["__proto__"]}');
    views.sse.close();
  });

  it('request bodies (JSON, YAML, urlencoded) keep __proto__ and constructor as plain keys to the master', async () => {
    const api = await start();
    const { token } = await login(api);
    const before = prototypeMembers();
    const kwarg = '{"__proto__": {"polluted": 1}, "constructor": "c", "toString": "t", "hasOwnProperty": "h"}';
    const bodies: Array<[string, string]> = [
      [
        'application/json',
        `[{"client": "local", "tgt": "minion-1", "fun": "test.kwarg", "kwarg": ${kwarg}, "__proto__": {"polluted": 2}}]`,
      ],
      [
        'application/x-yaml',
        `- client: local\n  tgt: minion-1\n  fun: test.kwarg\n  kwarg: ${kwarg}\n  __proto__: {polluted: 3}\n`,
      ],
      [
        'application/x-www-form-urlencoded',
        `client=local&tgt=minion-1&fun=test.kwarg&kwarg=${encodeURIComponent(kwarg)}&__proto__=x&constructor=y`,
      ],
    ];
    for (const [contentType, body] of bodies) {
      const response = await api.call('/', {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'application/json', 'X-Auth-Token': token },
        body,
      });
      const text = await response.text();
      expect(response.status, `${contentType}: ${text}`).toBe(200);
      const [result] = (JSON.parse(text) as { return: [Record<string, Record<string, unknown>>] }).return;
      const returned = result['minion-1'] ?? {};
      expect(Object.hasOwn(returned, '__proto__'), contentType).toBe(true);
      expect(Object.getOwnPropertyDescriptor(returned, '__proto__')?.value).toEqual({ polluted: 1 });
      expect(Object.getOwnPropertyDescriptor(returned, 'constructor')?.value).toBe('c');
      expect(Object.getOwnPropertyDescriptor(returned, 'toString')?.value).toBe('t');
    }
    const runner = await api.call(
      '/',
      json([{ client: 'runner', fun: 'test.arg', kwarg: JSON.parse(kwarg) as object }], { 'X-Auth-Token': token }),
    );
    expect(runner.status).toBe(200);
    const [ran] = ((await runner.json()) as { return: [{ kwargs: Record<string, unknown> }] }).return;
    expect(ran.kwargs).toMatchObject({ constructor: 'c', toString: 't', hasOwnProperty: 'h' });
    const wheel = await api.call(
      '/',
      json([{ client: 'wheel', fun: 'key.list', match: 'constructor' }], { 'X-Auth-Token': token }),
    );
    expect(wheel.status).toBe(200);
    expect(
      ((await wheel.json()) as { return: [{ data: { return: unknown; success: boolean } }] }).return[0].data,
    ).toMatchObject({ return: {}, success: true });
    expect(prototypeMembers()).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('CR/LF in tags and hook paths', () => {
  it('refuses a hook path with control characters (400 envelope) and fires nothing', async () => {
    const api = await start();
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    await sse.waitFor('retry: 400\n');
    const paths = [
      'x%0D%0Adata:%20%7B%7D%0A%0Atag:%20forged',
      'a%0Ab',
      'a%0Db',
      'nul%00',
      'esc%1B',
      'del%7F',
      'ok/%09tab',
    ];
    for (const path of paths) {
      const response = await api.call(`/hook/${path}`, json({ a: 1 }, { 'X-Auth-Token': token }));
      expect(response.status, path).toBe(400);
      expect(await response.json()).toEqual({
        status: 400,
        return: 'The hook path must not contain control characters.',
      });
    }
    const yaml = await api.call('/hook/a%0Ab', {
      ...json({}, { 'X-Auth-Token': token, accept: 'application/x-yaml' }),
    });
    expect(yaml.status).toBe(400);
    expect(await yaml.text()).toBe('return: The hook path must not contain control characters.\nstatus: 400\n');
    // An ordinary hook after them is the first hook event the stream sees.
    expect((await api.call('/hook/fine/%C3%A9', json({ a: 1 }, { 'X-Auth-Token': token }))).status).toBe(200);
    await sse.waitFor('tag: salt/netapi/hook/fine/é\n');
    const hooks = parseSse(sse.text).filter((event) => event['tag']?.startsWith('salt/netapi/hook'));
    expect(hooks.map((event) => event['tag'])).toEqual(['salt/netapi/hook/fine/é']);
    sse.close();
  });

  it('a bus tag holding CR/LF cannot forge events in SSE or WebSocket streams', async () => {
    const api = await start();
    const { token } = await login(api);
    const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
    const raw = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
    await raw.say(READY);
    await sse.waitFor('retry: 400\n');
    // No `\n\n`, nor a final `\n`: the bus ends a tag at the first `\n\n` of `tag + "\\n\\n" + data`.
    const tag = 'salt/evil\r\ndata: {"data": {}, "tag": "salt/forged"}\r\n\r\ntag: salt/forged\rdata: {}\n\r\nx';
    api.demo.fireEvent(tag, withKeys([['k\r\ndata: x', 'v\r\n\r\n']]));
    api.demo.fireEvent('salt/test/after', {});
    await sse.waitFor('tag: salt/test/after\n');
    await raw.waitFor((m) => m.includes('"tag": "salt/test/after"'));
    const events = parseSse(sse.text.slice(sse.text.indexOf('\n') + 1));
    expect(events.map((event) => event['tag'])).toEqual([
      'salt/evil%0D%0Adata: {"data": {}, "tag": "salt/forged"}%0D%0A%0D%0Atag: salt/forged%0Ddata: {}%0A%0D%0Ax',
      'salt/test/after',
    ]);
    const evil = JSON.parse(events[0]?.['data'] ?? '') as { tag: string; data: Record<string, unknown> };
    expect(evil.tag).toBe(tag);
    expect(evil.data['k\r\ndata: x']).toBe('v\r\n\r\n');
    const frames = raw.messages.filter((m) => m.startsWith('data: '));
    expect(frames.map((m) => (JSON.parse(m.slice('data: '.length)) as { tag: string }).tag)).toEqual([
      tag,
      'salt/test/after',
    ]);
    sse.close();
  });
});

describe('token expiry', () => {
  it('ends /ws, /ws?format_events, /all_events and /formatted_events when the Salt token expires', async () => {
    const api = await start({ demo: { tokenExpire: 1 } });
    const { token } = await login(api);
    const started = Date.now();
    const views = await openEveryView(api, token, await saltToken(api));
    const sockets = [views.raw, views.formatted, views.tornadoAll, views.tornadoFormatted];
    // A socket that never said it was ready ends as well.
    sockets.push(await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token }));
    // At the expiry (1 s after the login); the margin is for a busy machine.
    for (const socket of sockets) expect(await socket.ended(8_000)).toEqual({ code: 1000, reason: 'token expired' });
    await views.sse.ended();
    expect(Date.now() - started).toBeLessThan(8_000);
    await waitUntil(() => api.server.app.streams.stats().ws === 0 && api.server.app.streams.stats().sse === 0);
  });
});
