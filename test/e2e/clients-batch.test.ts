import { describe, expect, it } from 'vitest';
import { harness, ordered, recordedLoads, recordedReturn } from '../support/clients.js';

/** The `local_batch` client against the demo master. */

describe('local_batch', () => {
  it('pings, then publishes to each batch under one caller-chosen jid (the loads salt-api sends)', async () => {
    const h = await harness();
    const result = await h.netapi.run({
      client: 'local_batch',
      tgt: '*',
      fun: 'test.ping',
      batch: '1',
      token: h.token,
    });
    expect(result).toEqual(recordedReturn('saltapi_local_batch'));
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_batch').map(ordered));
  });

  it('runs at most `batch` minions at a time and yields one element per minion in completion order', async () => {
    const ids = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'];
    const h = await harness({ demo: { minions: ids } });
    const result = await h.netapi.run({ client: 'local_batch', tgt: '*', fun: 'test.ping', batch: 2, token: h.token });
    expect(result).toHaveLength(5);
    expect(result.map((r) => Object.keys(r as object)[0]).sort()).toEqual(ids);
    expect(result.every((r) => Object.values(r as object)[0] === true)).toBe(true);
    const batches = h.loads.filter((l) => l['fun'] === 'test.ping' && l['tgt_type'] === 'list');
    expect(batches.every((l) => (l['tgt'] as string[]).length <= 2)).toBe(true);
    expect(batches.flatMap((l) => l['tgt'] as string[]).sort()).toEqual(ids);
    expect(new Set(batches.map((l) => l['jid'])).size).toBe(1);
  });

  it('reads a percentage of the minions that answered the presence ping', async () => {
    const ids = ['m-1', 'm-2', 'm-3', 'm-4'];
    const h = await harness({ demo: { minions: ids, returnDelayMs: 50 } });
    const result = await h.netapi.run({
      client: 'local_batch',
      tgt: '*',
      fun: 'test.sleep',
      arg: [0.2],
      batch: '50%',
      token: h.token,
    });
    expect(result).toHaveLength(4);
    const batches = h.loads.filter((l) => l['fun'] === 'test.sleep');
    expect(batches.every((l) => (l['tgt'] as string[]).length <= 2)).toBe(true);
    expect(batches[0]?.['tgt']).toHaveLength(2);
  });

  it('leaves out a minion that does not answer the presence ping', async () => {
    const h = await harness({ demo: { minions: ['minion-1'], deadMinions: ['dead-1'] } });
    const result = await h.netapi.run({
      client: 'local_batch',
      tgt: '*',
      fun: 'test.ping',
      batch: '10%',
      timeout: 1,
      gather_job_timeout: 1,
      token: h.token,
    });
    expect(result).toEqual([{ 'minion-1': true }]);
  });

  it('yields nothing when the target matches nothing', async () => {
    const h = await harness();
    expect(await h.netapi.run({ client: 'local_batch', tgt: 'nobody', fun: 'test.ping', token: h.token })).toEqual([]);
  });

  it('stops after a failing return with failhard', async () => {
    const h = await harness({ demo: { minions: ['m-1', 'm-2', 'm-3'] } });
    const result = await h.netapi.run({
      client: 'local_batch',
      tgt: '*',
      fun: 'nope.nope',
      batch: 1,
      failhard: true,
      token: h.token,
    });
    expect(result).toHaveLength(1);
  });

  it('refuses a batch size that is not a count or a percentage', async () => {
    const h = await harness();
    await expect(
      h.netapi.run({ client: 'local_batch', tgt: '*', fun: 'test.ping', batch: 'lots', token: h.token }),
    ).rejects.toMatchObject({ kind: 'invalid' });
  });
});
