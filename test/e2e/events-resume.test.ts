import { afterEach, describe, expect, it } from 'vitest';
import { apiPerTest, json, login, SALTDEV, serveBeside, type ApiUnderTest } from '../support/api.js';
import { parseSse, SseClient } from '../support/sse.js';
import { READY, terminateWsClients, WsEventClient } from '../support/ws.js';

/**
 * Resumable `/events` (`events_ids`, `Last-Event-ID`, `events_replay`) and `?tag=` filters on
 * `/events` and `/ws`, over the real server and the demo master's bus.
 */

const startForTest = apiPerTest();
const streams: SseClient[] = [];
// After hooks run last registered first: the streams close before the APIs do.
afterEach(() => {
  for (const sse of streams.splice(0)) sse.close();
  terminateWsClients();
});

async function start(rest: Record<string, unknown> = {}): Promise<{ api: ApiUnderTest; token: string }> {
  const api = await startForTest({ settings: { rest } });
  const { token } = await login(api);
  return { api, token };
}

async function open(api: { url: string }, path: string, headers: Record<string, string>): Promise<SseClient> {
  const sse = await SseClient.open(api, path, headers);
  streams.push(sse);
  await sse.waitFor('retry: 400\n');
  return sse;
}

async function fire(api: Pick<ApiUnderTest, 'call'>, token: string, path: string, pad?: string): Promise<void> {
  const body = pad === undefined ? { n: path } : { n: path, pad };
  expect((await api.call(`/hook/${path}`, json(body, { 'X-Auth-Token': token }))).status).toBe(200);
}

/** The hook tags in a stream's text, in order. */
const hookTags = (text: string): string[] =>
  [...text.matchAll(/^tag: salt\/netapi\/hook\/(\S+)$/gm)].map((match) => match[1] ?? '');

/** The id of the block whose tag is `salt/netapi/hook/<path>`. */
function idOf(text: string, path: string): string {
  const match = new RegExp(`^id: (\\S+)\\ntag: salt/netapi/hook/${path}$`, 'm').exec(text);
  if (match?.[1] === undefined) throw new Error(`no id for ${path} in ${text}`);
  return match[1];
}

describe('resumable /events (events_ids)', () => {
  it('writes no id lines by default, and ignores Last-Event-ID', async () => {
    const { api, token } = await start();
    const sse = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': 'abcdef01-3' });
    await fire(api, token, 'plain');
    await sse.waitFor('tag: salt/netapi/hook/plain\n');
    expect(sse.text).not.toMatch(/^id: /m);
    expect(sse.text).not.toContain('event: gap');
  });

  it('gives every event an id and replays what a reconnecting client missed, then goes on live', async () => {
    const { api, token } = await start({ eventsIds: true });
    const first = await open(api, '/events', { 'X-Auth-Token': token });
    await fire(api, token, 'one');
    await first.waitFor('tag: salt/netapi/hook/one\n');
    const lastSeen = idOf(first.text, 'one');
    // Named after the event and the master: <stamp digits>-<digest>.
    expect(lastSeen).toMatch(/^\d{20}-[0-9a-f]{24}$/);
    first.close();
    for (const path of ['two', 'three', 'four']) await fire(api, token, path);
    const again = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': lastSeen });
    await again.waitFor('tag: salt/netapi/hook/four\n');
    await fire(api, token, 'five');
    await again.waitFor('tag: salt/netapi/hook/five\n');
    expect(hookTags(again.text)).toEqual(['two', 'three', 'four', 'five']);
    expect(again.text).not.toContain('event: gap');
    const ids = ['two', 'three', 'four', 'five'].map((path) => idOf(again.text, path));
    expect(ids).toEqual([...ids].sort());
  });

  it('says "event: gap" first when the ring no longer holds everything missed', async () => {
    const { api, token } = await start({ eventsIds: true, eventsReplay: { maxEvents: 2, maxSeconds: 300 } });
    const first = await open(api, '/events', { 'X-Auth-Token': token });
    await fire(api, token, 'seen');
    await first.waitFor('tag: salt/netapi/hook/seen\n');
    const lastSeen = idOf(first.text, 'seen');
    first.close();
    // Events reach the ring before any stream: once a watcher has m4, the ring holds m3 and m4.
    const watcher = await open(api, '/events', { 'X-Auth-Token': token });
    for (const path of ['m1', 'm2', 'm3', 'm4']) await fire(api, token, path);
    await watcher.waitFor('tag: salt/netapi/hook/m4\n');
    const again = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': lastSeen });
    await again.waitFor('tag: salt/netapi/hook/m4\n');
    const gapAt = again.text.indexOf('event: gap\n');
    expect(gapAt).toBeGreaterThan(0);
    expect(gapAt).toBeLessThan(again.text.indexOf('tag: salt/netapi/hook/m3'));
    expect(hookTags(again.text)).toEqual(['m3', 'm4']);
    const gap = /event: gap\ndata: (.*)\n/.exec(again.text)?.[1] ?? '';
    // The ring remembers the evicted id's place: the gap starts right after it.
    expect(JSON.parse(gap)).toMatchObject({ missed_from: expect.stringMatching(/^[0-9a-f]{8}-\d+$/) });
  });

  it('keeps at most events_replay.max_bytes: a resume from an evicted id gets the gap; /metrics shows it', async () => {
    const maxBytes = 16_384;
    const { api, token } = await start({
      eventsIds: true,
      eventsReplay: { maxEvents: 10_000, maxSeconds: 300, maxBytes },
    });
    const first = await open(api, '/events', { 'X-Auth-Token': token });
    await fire(api, token, 'seen');
    await first.waitFor('tag: salt/netapi/hook/seen\n');
    const lastSeen = idOf(first.text, 'seen');
    // Each hook event carries its 3 KB body twice (raw and parsed): about 7 KB serialised.
    const big = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'];
    for (const path of big) await fire(api, token, path, 'x'.repeat(3_000));
    await first.waitFor('tag: salt/netapi/hook/b6\n');
    const again = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': lastSeen });
    await again.waitFor('tag: salt/netapi/hook/b6\n');
    const gapAt = again.text.indexOf('event: gap\n');
    expect(gapAt).toBeGreaterThan(0);
    const replayed = hookTags(again.text);
    expect(replayed.length).toBeGreaterThan(0);
    expect(replayed.length).toBeLessThan(3);
    expect(replayed).toEqual(big.slice(big.length - replayed.length));
    expect(gapAt).toBeLessThan(again.text.indexOf(`tag: salt/netapi/hook/${replayed[0] ?? ''}`));
    const gap = JSON.parse(/event: gap\ndata: (.*)\n/.exec(again.text)?.[1] ?? '') as Record<string, string>;
    // The evicted ids are this ring's own places, right after the one the client saw.
    expect(gap['missed_from']).toMatch(/^[0-9a-f]{8}-\d+$/);

    const metrics = await (await api.call('/metrics', { headers: { 'X-Auth-Token': token } })).text();
    const held = Number(/^saltapid_events_replay_bytes (\d+)$/m.exec(metrics)?.[1]);
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(maxBytes);
    expect(metrics).toMatch(/^saltapid_events_replay_evictions_total\{reason="bytes"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^saltapid_events_replay_evictions_total\{reason="too_large"\} 0$/m);
  });

  it('keeps no event larger than events_replay.max_bytes; a resume across it is told it missed it', async () => {
    const { api, token } = await start({
      eventsIds: true,
      eventsReplay: { maxEvents: 10_000, maxSeconds: 300, maxBytes: 16_384 },
    });
    const first = await open(api, '/events', { 'X-Auth-Token': token });
    await fire(api, token, 'before');
    // About 80 KB serialised: also written to the live stream in pieces rather than as one shared block.
    await fire(api, token, 'huge', 'x'.repeat(40_000));
    await fire(api, token, 'after');
    await first.waitFor('tag: salt/netapi/hook/after\n');
    // Live streams get it, whole and with its id.
    const hugeId = idOf(first.text, 'huge');
    const block = parseSse(first.text).find((fields) => fields['tag'] === 'salt/netapi/hook/huge');
    expect(JSON.parse(block?.['data'] ?? '')).toMatchObject({ data: { post: { pad: 'x'.repeat(40_000) } } });
    const again = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': idOf(first.text, 'before') });
    await again.waitFor('tag: salt/netapi/hook/after\n');
    expect(hookTags(again.text)).toEqual(['after']);
    const gap = JSON.parse(/event: gap\ndata: (.*)\n/.exec(again.text)?.[1] ?? '') as Record<string, string>;
    // The event never kept is still named in the gap, by its own id.
    expect(gap).toMatchObject({ missed_from: hugeId, missed_to: hugeId });
    const metrics = await (await api.call('/metrics', { headers: { 'X-Auth-Token': token } })).text();
    expect(metrics).toMatch(/^saltapid_events_replay_evictions_total\{reason="too_large"\} 1$/m);
  });

  it('resumes on another instance of the same master: what it missed, once, in order, no gap', async () => {
    const rest = { eventsIds: true, webhookDisableAuth: true };
    const { api: first } = await start(rest);
    const second = await serveBeside(first, { settings: { rest } });
    try {
      // A Salt token: good on every instance (the master checks it), unlike a session of one.
      const [{ token }] = (await (await first.call('/token', json(SALTDEV))).json()) as [{ token: string }];
      await fire(first, token, 'before');
      const reader = await open(first, '/events', { 'X-Auth-Token': token });
      for (const path of ['one', 'two']) await fire(first, token, path);
      await reader.waitFor('tag: salt/netapi/hook/two\n');
      const lastSeen = idOf(reader.text, 'two');
      reader.close();
      await first.server.close();
      const other = { url: second.url, call: (path: string, init?: RequestInit) => fetch(second.url + path, init) };
      for (const path of ['three', 'four']) await fire(other, token, path);
      const again = await open(other, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': lastSeen });
      await fire(other, token, 'five');
      await again.waitFor('tag: salt/netapi/hook/five\n');
      expect(hookTags(again.text)).toEqual(['three', 'four', 'five']);
      expect(again.text).not.toContain('event: gap');
    } finally {
      await second.close();
    }
  });

  it('treats an id from another run as a gap and replays the ring', async () => {
    const { api, token } = await start({ eventsIds: true });
    await fire(api, token, 'kept');
    const sse = await open(api, '/events', { 'X-Auth-Token': token, 'Last-Event-ID': '00000000-99' });
    await sse.waitFor('tag: salt/netapi/hook/kept\n');
    expect(sse.text.indexOf('event: gap\n')).toBeLessThan(sse.text.indexOf('tag: salt/netapi/hook/kept'));
    expect(sse.text).toContain('"missed_from": null');
  });
});

describe('?tag= filters', () => {
  it('sends /events only the events whose tag matches one of the globs', async () => {
    const { api, token } = await start();
    const sse = await open(api, '/events?tag=salt/netapi/hook/a/*&tag=salt/netapi/hook/c', { 'X-Auth-Token': token });
    for (const path of ['a/1', 'b/1', 'c', 'c/d', 'a/2']) await fire(api, token, path);
    await sse.waitFor('tag: salt/netapi/hook/a/2\n');
    expect(hookTags(sse.text)).toEqual(['a/1', 'c', 'a/2']);
    expect(sse.text).not.toMatch(/^tag: salt\/auth/m);
  });

  it('filters the replay too, works with events_url_tokens off, and bounds the globs', async () => {
    const { api, token } = await start({ eventsIds: true, eventsUrlTokens: false });
    const first = await open(api, '/events', { 'X-Auth-Token': token });
    await fire(api, token, 'x/0');
    await first.waitFor('tag: salt/netapi/hook/x/0\n');
    const lastSeen = idOf(first.text, 'x/0');
    for (const path of ['x/1', 'y/1', 'x/2']) await fire(api, token, path);
    const again = await open(api, '/events?tag=salt/netapi/hook/x/*', {
      'X-Auth-Token': token,
      'Last-Event-ID': lastSeen,
    });
    await again.waitFor('tag: salt/netapi/hook/x/2\n');
    expect(hookTags(again.text)).toEqual(['x/1', 'x/2']);
    const many = Array.from({ length: 33 }, (_, i) => `tag=t${i}`).join('&');
    expect((await api.call(`/events?${many}`, { headers: { 'X-Auth-Token': token } })).status).toBe(400);
    expect((await api.call(`/events?token=${token}`)).status).toBe(400);
  });

  it('filters /ws the same way', async () => {
    const { api, token } = await start();
    const client = await WsEventClient.open(api, '/ws?tag=salt/netapi/hook/keep/*', { 'X-Auth-Token': token });
    await client.say(READY);
    for (const path of ['drop/1', 'keep/1']) await fire(api, token, path);
    await client.waitFor((m) => m.includes('"tag": "salt/netapi/hook/keep/1"'));
    expect(client.messages.some((m) => m.includes('salt/netapi/hook/drop/1'))).toBe(false);
  });
});
