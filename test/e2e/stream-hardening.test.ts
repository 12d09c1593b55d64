import { afterEach, describe, expect, it } from 'vitest';
import type { SaltValue } from '../../src/salt/codec/values.js';
import { json, login, SALTDEV, startApi, waitUntil, type ApiUnderTest } from '../support/api.js';
import { SseClient } from '../support/sse.js';
import { READY, terminateWsClients, WsEventClient } from '../support/ws.js';

/**
 * Event streams against hostile input: keys that are Object.prototype members (`__proto__`,
 * `constructor`…) as minion ids, jids, tags and data keys; tags and hook paths with CR/LF; and
 * tokens that expire while a stream is open. Every stream view runs over the real server, wire
 * layer and demo master bus.
 */

const apis: ApiUnderTest[] = [];
afterEach(async () => {
  terminateWsClients();
  for (const api of apis.splice(0)) await api.close();
});

async function start(options: Parameters<typeof startApi>[0] = {}): Promise<ApiUnderTest> {
  const api = await startApi(options);
  apis.push(api);
  return api;
}

const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'] as const;

/** Object.prototype's own members, to compare before and after. */
function prototypeMembers(): string[] {
  return Object.getOwnPropertyNames(Object.prototype).sort();
}

/** A mapping whose keys are own keys even when they are `__proto__` (as the wire delivers them). */
function withKeys(entries: [string, SaltValue][]): Record<string, SaltValue> {
  return JSON.parse(JSON.stringify(Object.fromEntries(entries))) as Record<string, SaltValue>;
}

/** Events whose tags, jids, minion ids and data keys are Object.prototype member names. */
function hostileEvents(): { tag: string; data: Record<string, SaltValue> }[] {
  const events: { tag: string; data: Record<string, SaltValue> }[] = [];
  for (const name of PROTO_NAMES) {
    const nested = withKeys([[name, withKeys([[name, [name]]])]]);
    events.push(
      { tag: `salt/job/${name}/new`, data: withKeys([['jid', name], ['minions', [...PROTO_NAMES]], ['fun', name], [name, nested]]) },
      { tag: `salt/job/${name}/ret/${name}`, data: withKeys([['id', name], ['return', nested], ['retcode', 0], ['success', true], [name, name]]) },
      { tag: `salt/job/20261125000000000000/ret/${name}`, data: withKeys([['fun', 'grains.items'], ['return', nested], ['success', true]]) },
      { tag: 'salt/key', data: withKeys([['id', name], ['act', 'accept'], ['result', true]]) },
      { tag: `salt/${name}/${name}`, data: nested },
      { tag: name, data: nested },
      { tag: `salt/job/${name}/ret/${name}/${name}`, data: withKeys([['jid', nested], ['id', nested]]) },
    );
  }
  events.push({ tag: 'salt/presence/present', data: { present: [...PROTO_NAMES] } });
  events.push({ tag: 'salt/presence/change', data: withKeys([['present', withKeys([['__proto__', 1]])], ['new', [...PROTO_NAMES]]]) });
  for (const name of PROTO_NAMES) events.push({ tag: 'salt/key', data: withKeys([['id', name], ['act', 'delete'], ['result', true]]) });
  return events;
}

async function saltToken(api: ApiUnderTest): Promise<string> {
  const minted = await api.call('/token', json(SALTDEV));
  const [{ token }] = (await minted.json()) as [{ token: string }];
  return token;
}

/** One client of every stream view, all subscribed. */
async function openEveryView(api: ApiUnderTest, session: string, salt: string) {
  const subscribers = api.server.master.stats().bus.subscribers;
  const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': session });
  const raw = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': session });
  const formatted = await WsEventClient.open(api, '/ws?format_events', { 'X-Auth-Token': session });
  const tornadoAll = await WsEventClient.open(api, `/all_events/${salt}`);
  const tornadoFormatted = await WsEventClient.open(api, `/formatted_events/${salt}`);
  await raw.say(READY);
  await formatted.say(READY);
  tornadoAll.socket.send(READY);
  tornadoFormatted.socket.send(READY);
  await waitUntil(() => api.server.master.stats().bus.subscribers >= subscribers + 5);
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
    for (const key of ['return', 'retcode', 'success', 'grains', 'id', 'minions', 'state']) expect(probe[key]).toBeUndefined();
    expect(api.server.app.streams.stats()).toMatchObject({ sse: 1, ws: 4 });
    for (const client of [views.raw, views.formatted, views.tornadoAll, views.tornadoFormatted]) expect(client.closed).toBeUndefined();

    // The ids are plain keys of the views: the jobs view of jid `__proto__` lists minion `__proto__`.
    const jobs = views.formatted.messages.filter((m) => m.startsWith('{"jobs"')).map((m) => JSON.parse(m) as { jobs: object });
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
    const bodies: [string, string][] = [
      ['application/json', `[{"client": "local", "tgt": "minion-1", "fun": "test.kwarg", "kwarg": ${kwarg}, "__proto__": {"polluted": 2}}]`],
      ['application/x-yaml', `- client: local\n  tgt: minion-1\n  fun: test.kwarg\n  kwarg: ${kwarg}\n  __proto__: {polluted: 3}\n`],
      ['application/x-www-form-urlencoded', `client=local&tgt=minion-1&fun=test.kwarg&kwarg=${encodeURIComponent(kwarg)}&__proto__=x&constructor=y`],
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
      expect(returned['constructor']).toBe('c');
      expect(returned['toString']).toBe('t');
    }
    const runner = await api.call('/', json([{ client: 'runner', fun: 'test.arg', kwarg: JSON.parse(kwarg) as object }], { 'X-Auth-Token': token }));
    expect(runner.status).toBe(200);
    const [ran] = ((await runner.json()) as { return: [{ kwargs: Record<string, unknown> }] }).return;
    expect(ran.kwargs).toMatchObject({ constructor: 'c', toString: 't', hasOwnProperty: 'h' });
    expect(prototypeMembers()).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
