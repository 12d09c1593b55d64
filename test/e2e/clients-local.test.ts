import { describe, expect, it } from 'vitest';
import { MasterErrorReply } from '../../src/salt/errors.js';
import { harness, ordered, recordedLoads, recordedReturn, shortPingAll } from '../support/clients.js';

/** The `local`, `local_async` and `local_subset` clients against the demo master. */

const NO_RETURN = (jid: string): string =>
  'Minion did not return. [No response]\nThe minions may not have all finished running and any remaining minions ' +
  'will return upon completion. To look up the return data for this job later, run the following command:\n\n' +
  `salt-run jobs.lookup_jid ${jid}`;

describe('local', () => {
  it('publishes the load salt-api publishes and returns {minion: value}', async () => {
    const h = await harness();
    const result = await h.netapi.run({ client: 'local', tgt: 'minion-1', fun: 'test.ping', token: h.token });
    expect(result).toEqual([recordedReturn('saltapi_local_token')]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_token').map(ordered));
  });

  it('folds kwarg into arg as a trailing __kwarg__ map', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1',
      fun: 'test.arg',
      arg: ['a', 1],
      kwarg: { x: 'y' },
      token: h.token,
    });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_arg_kwarg').map(ordered));
    expect(result).toMatchObject({ 'minion-1': { args: ['a', 1], kwargs: { x: 'y' } } });
  });

  it('sends inline eauth credentials in kwargs', async () => {
    const h = await harness();
    const result = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1',
      fun: 'test.ping',
      username: 'saltdev',
      password: 'saltdev',
      eauth: 'pam',
    });
    expect(result).toEqual([recordedReturn('saltapi_local_eauth_inline')]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_eauth_inline').map(ordered));
  });

  it('gives {ret, retcode, jid} per minion with full_return', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1',
      fun: 'test.ping',
      full_return: true,
      token: h.token,
    });
    expect(ordered(result)).toBe(ordered(recordedReturn('saltapi_local_full_return')));
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_full_return').map(ordered));
  });

  it('answers {} when the target matches nothing', async () => {
    const h = await harness();
    const result = await h.netapi.run({ client: 'local', tgt: 'nobody-here-*', fun: 'test.ping', token: h.token });
    expect(result).toEqual([recordedReturn('saltapi_local_no_match')]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_no_match').map(ordered));
  });

  it('reports an unknown list entry as "did not return" without waiting for it', async () => {
    const h = await harness();
    const started = performance.now();
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: ['minion-1', 'ghost-minion'],
      tgt_type: 'list',
      fun: 'test.ping',
      token: h.token,
    });
    // Waiting for it would take the default timeout (5 s) at least; the margin is for a busy machine.
    expect(performance.now() - started).toBeLessThan(4_000);
    const jid = /(\d{20})$/.exec(String((result as Record<string, unknown>)['ghost-minion']))?.[1] ?? 'none';
    expect(ordered(result)).toBe(ordered({ 'minion-1': true, 'ghost-minion': NO_RETURN(jid) }));
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_list_with_ghost').map(ordered));
  });

  it('asks a silent minion with find_job after timeout and reports it after gather_job_timeout', async () => {
    const h = await harness({ demo: { minions: ['minion-1'], deadMinions: ['dead-1'] }, coalesceJobChecks: false });
    const started = performance.now();
    const [result] = await h.netapi.run(shortPingAll(h.token));
    const elapsed = performance.now() - started;
    // One find_job round (the loads below), after `timeout`, not the default 5 s; the margin between
    // 2 and 5 s is for a busy machine.
    expect(elapsed).toBeGreaterThan(1_900);
    expect(elapsed).toBeLessThan(4_500);
    expect(h.loads).toHaveLength(2);
    const jid = String(h.loads[1]?.['arg'] && (h.loads[1]['arg'] as string[])[0]);
    expect(result).toEqual({ 'minion-1': true, 'dead-1': NO_RETURN(jid) });
    expect(h.loads[1]).toMatchObject({
      cmd: 'publish',
      tgt: ['dead-1'],
      fun: 'saltutil.find_job',
      arg: [jid],
      tgt_type: 'list',
      ret: '',
      jid: '',
    });
    expect(h.loads[1]?.['kwargs']).toEqual({ client: 'local', gather_job_timeout: 1, token: h.token });
  });

  it('keeps waiting while find_job says the job still runs (test.sleep longer than timeout)', async () => {
    const h = await harness({ coalesceJobChecks: false });
    const started = performance.now();
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1',
      fun: 'test.sleep',
      arg: [2],
      timeout: '1',
      token: h.token,
    });
    const elapsed = performance.now() - started;
    expect(result).toEqual({ 'minion-1': true });
    // Answered on the return, not at the next round: the loads below are the publish and one find_job
    // (a second round would add one), so the upper bound only has to tell it from a hang.
    expect(elapsed).toBeGreaterThan(1_900);
    expect(elapsed).toBeLessThan(10_000);
    const recorded = recordedLoads('saltapi_local_timeout_find_job');
    expect(h.loads.map(ordered)).toEqual(
      recorded
        .slice(0, 2)
        .map(ordered)
        .map((l) => l.replace('[3]', '[2]')),
    );
  });

  it('gives the full_return shape for a silent minion', async () => {
    const h = await harness({ demo: { minions: [], deadMinions: ['dead-1'] } });
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'dead-1',
      fun: 'test.ping',
      timeout: 1,
      gather_job_timeout: 0,
      full_return: true,
      token: h.token,
    });
    expect(result).toEqual({
      'dead-1': {
        out: 'no_return',
        ret: expect.stringMatching(/^Minion did not return\. \[No response\]/),
        retcode: 1,
      },
    });
  });

  it('returns a map per function for a compound job', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1',
      fun: ['test.ping', 'test.echo'],
      arg: [[], ['hello']],
      token: h.token,
    });
    expect(result).toEqual({ 'minion-1': { 'test.ping': true, 'test.echo': 'hello' } });
  });

  it('uses expr_form as tgt_type when tgt_type is absent', async () => {
    const h = await harness({ demo: { minions: ['minion-1', 'minion-2'] } });
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'minion-1,minion-2',
      expr_form: 'list',
      fun: 'test.ping',
      token: h.token,
    });
    expect(result).toEqual({ 'minion-1': true, 'minion-2': true });
    expect(h.loads[0]).toMatchObject({ tgt_type: 'list', kwargs: { client: 'local', token: h.token } });
  });

  it('resolves nodegroups into compound targets', async () => {
    const h = await harness({
      demo: { minions: ['minion-1', 'minion-2'] },
      settings: { nodegroups: { web: 'minion-1' } },
    });
    const [result] = await h.netapi.run({
      client: 'local',
      tgt: 'web',
      tgt_type: 'nodegroup',
      fun: 'test.ping',
      token: h.token,
    });
    expect(h.loads[0]).toMatchObject({ tgt: 'L@minion-1', tgt_type: 'compound' });
    expect(result).toEqual({ 'minion-1': true });
    await expect(
      h.netapi.run({ client: 'local', tgt: 'nope', tgt_type: 'nodegroup', fun: 'test.ping', token: h.token }),
    ).rejects.toMatchObject({
      kind: 'invalid',
    });
  });

  it('turns the master refusing the token into a 401-kind error', async () => {
    const h = await harness();
    const call = h.netapi.run({ client: 'local', tgt: 'minion-1', fun: 'test.ping', token: 'ab'.repeat(32) });
    await expect(call).rejects.toBeInstanceOf(MasterErrorReply);
    await expect(call).rejects.toMatchObject({ kind: 'auth', message: 'Authentication error occurred.' });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_bad_token').map(ordered));
  });

  it('names what is missing when tgt or fun is absent', async () => {
    const h = await harness();
    await expect(h.netapi.run({ client: 'local', fun: 'test.ping', token: h.token })).rejects.toMatchObject({
      kind: 'invalid',
      message: expect.stringContaining("'tgt'"),
    });
    await expect(h.netapi.run({ client: 'local_async', token: h.token })).rejects.toMatchObject({
      message: expect.stringContaining("'tgt' and 'fun'"),
    });
    expect(h.loads).toEqual([]);
  });

  it('stops waiting when the request is aborted', async () => {
    const h = await harness({ demo: { minions: [], deadMinions: ['dead-1'] } });
    const controller = new AbortController();
    const call = h.netapi.run(
      { client: 'local', tgt: 'dead-1', fun: 'test.ping', timeout: 30, token: h.token },
      { signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('client went away')), 100);
    await expect(call).rejects.toThrow('client went away');
    expect(h.master.bus.stats().subscribers).toBe(0);
  });
});

describe('local_async', () => {
  it('answers {jid, minions} at once', async () => {
    const h = await harness({ demo: { returnDelayMs: 8_000 } });
    const started = performance.now();
    const [result] = await h.netapi.run({ client: 'local_async', tgt: 'minion-1', fun: 'test.ping', token: h.token });
    // Well before the return (8 s), with room for a busy machine.
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(result).toEqual({ jid: expect.stringMatching(/^\d{20}$/), minions: ['minion-1'] });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_async').map(ordered));
  });

  it('answers {} when nothing matches', async () => {
    const h = await harness();
    expect(await h.netapi.run({ client: 'local_async', tgt: 'nobody', fun: 'test.ping', token: h.token })).toEqual([
      {},
    ]);
  });
});

describe('local_subset', () => {
  it('asks sys.list_functions first, then runs on `sub` random minions that have the function', async () => {
    const h = await harness();
    const result = await h.netapi.run({ client: 'local_subset', tgt: '*', fun: 'test.ping', sub: 1, token: h.token });
    expect(result).toEqual([recordedReturn('saltapi_local_subset')]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_local_subset').map(ordered));
  });

  it('picks `subset` of the minions', async () => {
    const h = await harness({ demo: { minions: ['m-1', 'm-2', 'm-3', 'm-4'] } });
    const [result] = await h.netapi.run({
      client: 'local_subset',
      tgt: '*',
      fun: 'test.ping',
      subset: 2,
      token: h.token,
    });
    expect(Object.keys(result as object)).toHaveLength(2);
    expect(h.loads[1]).toMatchObject({ tgt_type: 'list', kwargs: { progress: false, client: 'local_subset' } });
  });
});
