import { describe, expect, it } from 'vitest';
import { FormattedEventsView } from '../../src/http/formatted-events.js';
import { loadFixture, toWireValue } from '../support/fixtures.js';
import type { SaltMap } from '../../src/salt/codec/values.js';

/** The recorded events of one test.ping job: new, publish, ret. */
const recorded = (loadFixture('pub_token_ping').events ?? []).map((e) => ({ tag: e.tag, data: toWireValue(e.data) as SaltMap }));
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
          jid, start_time: '2026-11-23T08:43:29.757911+00:00', minions: { 'minion-1': { success: true, return: true, retcode: 0 } },
          fun: 'test.ping', tgt: 'minion-1', tgt_type: 'glob', state: 'complete',
        },
      },
    });
  });

  it('keeps grains.items returns as the minions view, as a list or a map', () => {
    const ret = { tag: 'salt/job/1/ret/m1', data: { fun: 'grains.items', return: { os: 'Debian' }, retcode: 0, success: true } };
    expect(new FormattedEventsView({ minionsAs: 'list' }).process(ret)[1]).toBe('{"minions": [{"grains": {"os": "Debian"}, "id": "m1"}]}');
    expect(new FormattedEventsView({ minionsAs: 'map' }).process(ret)[1]).toBe('{"minions": {"m1": {"grains": {"os": "Debian"}, "id": "m1"}}}');
  });

  it('follows key accept/delete and presence, asking for grains of new minions', () => {
    const asked: string[][] = [];
    const view = new FormattedEventsView({ minionsAs: 'list', refreshGrains: (ids) => asked.push(ids) });
    expect(view.process({ tag: 'salt/key', data: { act: 'accept', id: 'a', result: true } })).toEqual(['{"minions": [{"id": "a"}]}']);
    expect(view.process({ tag: 'salt/presence/present', data: { present: ['b'] } })).toEqual(['{"minions": []}']);
    expect(asked).toEqual([['b']]);
    expect(view.process({ tag: 'salt/key', data: { act: 'delete', id: 'a', result: true } })).toEqual(['{"minions": []}']);
  });

  it('ignores tags with fewer than two parts and keeps at most maxJobs jobs', () => {
    const view = new FormattedEventsView({ minionsAs: 'list', maxJobs: 2 });
    expect(view.process({ tag: 'minion_start', data: {} })).toEqual([]);
    for (const n of [1, 2, 3]) view.process({ tag: `salt/job/${n}/new`, data: { jid: String(n), minions: [], fun: 'test.ping' } });
    const last = view.process({ tag: 'salt/job/4/new', data: { jid: '4', minions: [] } });
    expect(Object.keys((JSON.parse(last[0] ?? '{}') as { jobs: object }).jobs)).toEqual(['3', '4']);
  });
});
