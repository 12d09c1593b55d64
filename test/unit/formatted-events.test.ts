import { describe, expect, it } from 'vitest';
import { FormattedEventsView } from '../../src/http/streams/formatted-events.js';
import { loadFixture, toWireValue } from '../support/fixtures.js';
import type { SaltMap } from '../../src/salt/codec/values.js';

/** The recorded events of one test.ping job: new, publish, ret. */
const recorded = (loadFixture('pub_token_ping').events ?? []).map((e) => ({
  tag: e.tag,
  data: toWireValue(e.data) as SaltMap,
}));
const jid = '20261123084329757574';

describe('FormattedEventsView', () => {
  it('builds the jobs view from new and ret events as salt-api does', () => {
    const view = new FormattedEventsView({ minionsAs: 'list' });
    const frames = recorded.flatMap((e) => view.process(e));
    expect(frames).toHaveLength(2); // publish events are not part of the view
    expect(frames[0]).toBe(
      `{"jobs": {"${jid}": {"jid": "${jid}", "start_time": "2026-11-23T08:43:29.757911+00:00", "minions": {"minion-1": {"success": false}}, "fun": "test.ping", "tgt": "minion-1", "tgt_type": "glob", "state": "running"}}}`,
    );
    expect(JSON.parse(frames[1] ?? '')).toEqual({
      jobs: {
        [jid]: {
          jid,
          start_time: '2026-11-23T08:43:29.757911+00:00',
          minions: { 'minion-1': { success: true, return: true, retcode: 0 } },
          fun: 'test.ping',
          tgt: 'minion-1',
          tgt_type: 'glob',
          state: 'complete',
        },
      },
    });
  });

  it('keeps grains.items returns as the minions view, as a list or a map', () => {
    const ret = {
      tag: 'salt/job/1/ret/m1',
      data: { fun: 'grains.items', return: { os: 'Debian' }, retcode: 0, success: true },
    };
    expect(new FormattedEventsView({ minionsAs: 'list' }).process(ret)[1]).toBe(
      '{"minions": [{"grains": {"os": "Debian"}, "id": "m1"}]}',
    );
    expect(new FormattedEventsView({ minionsAs: 'map' }).process(ret)[1]).toBe(
      '{"minions": {"m1": {"grains": {"os": "Debian"}, "id": "m1"}}}',
    );
  });

  it('follows key accept/delete and presence, asking for grains of new minions', () => {
    const asked: string[][] = [];
    const view = new FormattedEventsView({ minionsAs: 'list', refreshGrains: (ids) => asked.push(ids) });
    expect(view.process({ tag: 'salt/key', data: { act: 'accept', id: 'a', result: true } })).toEqual([
      '{"minions": [{"id": "a"}]}',
    ]);
    expect(view.process({ tag: 'salt/presence/present', data: { present: ['b'] } })).toEqual(['{"minions": []}']);
    expect(asked).toEqual([['b']]);
    expect(view.process({ tag: 'salt/key', data: { act: 'delete', id: 'a', result: true } })).toEqual([
      '{"minions": []}',
    ]);
  });

  it('ignores tags with fewer than two parts and keeps at most maxJobs jobs', () => {
    const view = new FormattedEventsView({ minionsAs: 'list', maxJobs: 2 });
    expect(view.process({ tag: 'minion_start', data: {} })).toEqual([]);
    for (const n of [1, 2, 3])
      view.process({ tag: `salt/job/${n}/new`, data: { jid: String(n), minions: [], fun: 'test.ping' } });
    const last = view.process({ tag: 'salt/job/4/new', data: { jid: '4', minions: [] } });
    expect(Object.keys((JSON.parse(last[0] ?? '{}') as { jobs: object }).jobs)).toEqual(['3', '4']);
  });

  it('keeps ids and jids named after Object.prototype members as plain keys, touching nothing shared', () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const names = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty'];
    for (const minionsAs of ['list', 'map'] as const) {
      const view = new FormattedEventsView({ minionsAs });
      for (const name of names) {
        view.process({ tag: `salt/job/${name}/new`, data: { jid: name, minions: names, fun: 'test.ping' } });
        view.process({
          tag: `salt/job/${name}/ret/${name}`,
          data: { return: { [name]: 1 }, retcode: 0, success: true },
        });
        view.process({
          tag: `salt/job/1/ret/${name}`,
          data: { fun: 'grains.items', return: { os: name }, success: true },
        });
        view.process({ tag: 'salt/key', data: { id: name, act: 'accept' } });
      }
      const [jobsFrame = '{}'] = view.process({
        tag: 'salt/job/__proto__/ret/constructor',
        data: { return: true, retcode: 0, success: true },
      });
      const jobs = (
        JSON.parse(jobsFrame) as { jobs: Record<string, { minions: Record<string, { success: boolean }> }> }
      ).jobs;
      expect(Object.keys(jobs)).toEqual(['1', ...names]);
      expect(Object.keys(jobs['__proto__']?.minions ?? {})).toEqual(names);
      expect(jobs['__proto__']?.minions['constructor']).toEqual({ return: true, retcode: 0, success: true });
      const [minionsFrame = '{}'] = view.process({ tag: 'salt/key', data: { id: 'm1', act: 'accept' } });
      const minions = (JSON.parse(minionsFrame) as { minions: Record<string, { id: string }> | Array<{ id: string }> })
        .minions;
      const ids = Array.isArray(minions) ? minions.map((m) => m.id) : Object.keys(minions);
      expect(ids).toEqual([...names, 'm1']);
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
  });

  it('never throws on ids and jids that have no text form (null-prototype maps, own toString data)', () => {
    const view = new FormattedEventsView({ minionsAs: 'list' });
    const bare = Object.create(null) as Record<string, unknown>;
    const odd = { toString: 1 };
    for (const value of [bare, odd]) {
      expect(() =>
        view.process({ tag: 'salt/job/9/new', data: { jid: value, minions: [value, bare] } as never }),
      ).not.toThrow();
      expect(() => view.process({ tag: 'salt/key', data: { id: value, act: 'accept' } as never })).not.toThrow();
      expect(() => view.process({ tag: 'salt/presence/present', data: { present: [value] } as never })).not.toThrow();
    }
  });
});
