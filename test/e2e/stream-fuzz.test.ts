import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { login, startApi, type ApiUnderTest } from '../support/api.js';
import { busEvent, prototypeMembers } from '../support/event-arbitraries.js';
import { fuzzRuns, fuzzTimeout } from '../support/fuzz.js';
import { parseSse, SseClient } from '../support/sse.js';
import { READY, terminateWsClients, WsEventClient } from '../support/ws.js';

/**
 * A few hundred random events over the real demo master bus into an SSE client, a raw /ws client
 * and a /ws?format_events client at once: all stay connected, every frame parses, and nothing
 * reaches Object.prototype.
 */

const SEED = 4242;
const EVENTS = 300;

const apis: ApiUnderTest[] = [];
afterEach(async () => {
  terminateWsClients();
  for (const api of apis.splice(0)) await api.close();
});

describe('stream views over the real bus under random events', () => {
  it(
    'keep every client connected with well-formed frames',
    async () => {
      const api = await startApi();
      apis.push(api);
      const { token } = await login(api);
      const sse = await SseClient.open(api, '/events', { 'X-Auth-Token': token });
      const raw = await WsEventClient.open(api, '/ws', { 'X-Auth-Token': token });
      const formatted = await WsEventClient.open(api, '/ws?format_events', { 'X-Auth-Token': token });
      await raw.say(READY);
      await formatted.say(READY);
      await sse.waitFor('retry: 400\n');
      const before = prototypeMembers();

      const events = fc.sample(busEvent, fuzzRuns(SEED, EVENTS));
      for (const [i, event] of events.entries()) {
        api.demo.fireEvent(event.tag, event.data);
        // In this one process the demo master would outrun its own reader; pace it like a busy bus.
        if (i % 25 === 24) await new Promise((resolve) => setTimeout(resolve, 5));
      }
      api.demo.fireEvent('salt/test/fuzz-done', {});
      api.demo.fireEvent('salt/key', { id: 'fuzz-done', act: 'accept', result: true });
      await sse.waitFor('tag: salt/test/fuzz-done\n', fuzzTimeout(15_000));
      await raw.waitFor((m) => m.includes('"tag": "salt/test/fuzz-done"'), fuzzTimeout(15_000));
      await formatted.waitFor((m) => m.includes('"fuzz-done"'), fuzzTimeout(15_000));

      expect(prototypeMembers()).toEqual(before);
      expect(raw.closed).toBeUndefined();
      expect(formatted.closed).toBeUndefined();
      expect(api.server.app.streams.stats()).toMatchObject({ sse: 1, ws: 2, droppedSlow: 0 });

      // Events whose tag holds `\n\n` do not survive the bus's own framing; every other one arrives.
      const sent = events.filter((event) => !`${event.tag}\n\n`.slice(0, -1).includes('\n\n')).length;
      const blocks = parseSse(sse.text).filter((fields) => fields['data'] !== undefined);
      const frames = raw.messages.filter((m) => m.startsWith('data: '));
      for (const fields of blocks) expect(fields['tag']).not.toMatch(/[\r\n]/);
      const tags = blocks.map((fields) => (JSON.parse(fields['data'] ?? '') as { tag: string }).tag);
      expect(tags.length).toBeGreaterThanOrEqual(sent + 2);
      // The same events in the same order on both, up to the end marker each was read to: what the bus
      // carries after it (a job of the server's own) may have reached one client and not yet the other.
      const upToDone = (list: string[]): string[] => list.slice(0, list.indexOf('salt/test/fuzz-done') + 1);
      const frameTags = frames.map((m) => (JSON.parse(m.slice('data: '.length)) as { tag: string }).tag);
      expect(upToDone(frameTags)).toEqual(upToDone(tags));
      expect(upToDone(tags).length).toBeGreaterThanOrEqual(sent + 1);
      for (const frame of formatted.messages.slice(1)) expect(() => JSON.parse(frame) as unknown).not.toThrow();
      sse.close();
    },
    fuzzTimeout(60_000),
  );
});
