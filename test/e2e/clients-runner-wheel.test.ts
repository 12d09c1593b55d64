import { describe, expect, it } from 'vitest';
import { MasterErrorReply } from '../../src/salt/errors.js';
import { tagMatcher } from '../../src/salt/tag-match.js';
import { harness, ordered, recordedLoads, recordedReturn, type NetapiHarness } from '../support/clients.js';

/** The runner and wheel clients against the demo master. */

describe('runner', () => {
  it('sends the load salt-api sends and returns data.return of <tag>/ret', async () => {
    const h = await harness();
    const result = await h.netapi.run({ client: 'runner', fun: 'manage.status', token: h.token });
    expect(result).toEqual([recordedReturn('saltapi_runner')]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_runner').map(ordered));
  });

  it('splits name=value out of arg and merges the top-level keywords (saltapi_runner_args_kwargs)', async () => {
    const h = await harness();
    const result = await h.netapi.run({
      client: 'runner',
      fun: 'test.arg',
      arg: ['a', 'k2=v2'],
      k1: 'v1',
      token: h.token,
    });
    expect(result.map(ordered)).toEqual([ordered(recordedReturn('saltapi_runner_args_kwargs'))]);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_runner_args_kwargs').map(ordered));
  });

  it('merges kwarg and yamlifies name=value values', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({
      client: 'runner',
      fun: 'test.arg',
      arg: ['a', 'n=2'],
      kwarg: { b: 2 },
      c: 3,
      token: h.token,
    });
    expect(result).toEqual({ args: ['a'], kwargs: { n: 2, b: 2, c: 3 } });
  });

  it('drops keywords a known runner does not take, as salt-api does', async () => {
    const h = await harness();
    await h.netapi.run({
      client: 'runner',
      fun: 'jobs.list_jobs',
      search_function: 'test.*',
      bogus: 1,
      token: h.token,
    });
    expect(h.loads[0]?.['kwarg']).toEqual({ kwarg: { search_function: 'test.*' }, arg: [] });
  });

  it('returns the whole {data, tag} event with full_return', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({ client: 'runner', fun: 'manage.status', full_return: true, token: h.token });
    const recorded = recordedReturn('saltapi_runner_full_return') as { data: Record<string, unknown> };
    expect(Object.keys(result as object)).toEqual(['data', 'tag']);
    expect(Object.keys((result as { data: object }).data)).toEqual(Object.keys(recorded.data));
    expect(result).toMatchObject({
      data: { fun: 'runner.manage.status', user: 'saltdev', return: { up: ['minion-1'], down: [] }, success: true },
    });
    expect((result as { tag: string }).tag).toMatch(/^salt\/run\/\d{20}\/ret$/);
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_runner_full_return').map(ordered));
  });

  it('ends with a job-timeout (504) error when the return does not come within timeout', async () => {
    const h = await harness();
    const started = performance.now();
    const call = h.netapi.run({ client: 'runner', fun: 'test.sleep', s_time: 10, timeout: '0.3', token: h.token });
    await expect(call).rejects.toMatchObject({ kind: 'job-timeout' });
    // At the timeout, not at the runner's end (10 s): the margin is for a busy machine.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a non-numeric timeout with 400', async () => {
    const h = await harness();
    await expect(
      h.netapi.run({ client: 'runner', fun: 'manage.status', timeout: 'soon', token: h.token }),
    ).rejects.toMatchObject({ kind: 'invalid' });
    expect(h.loads).toEqual([]);
  });

  it("refuses a runner function the master does not have at once, from the master's own list (asked once)", async () => {
    const h = await harness();
    for (const client of ['runner', 'runner_async', 'runner']) {
      const started = performance.now();
      const call = h.netapi.run({ client, fun: 'jobs.lookup_jd', jid: '1', token: h.token });
      await expect(call).rejects.toMatchObject({ kind: 'invalid', message: "'jobs.lookup_jd' is not available." });
      // Not after waiting for the runner to start (10 s by default); the margin is for a busy machine.
      expect(performance.now() - started).toBeLessThan(5_000);
    }
    // One doc.runner for all three calls; the unknown function itself never reached the master.
    expect(h.loads.map((load) => load['fun'])).toEqual(['doc.runner']);
  });

  it('falls back to waiting for the runner to start when the caller may not ask for the list', async () => {
    const externalAuth = { pam: { saltdev: [{ '@runner': ['jobs.*'] }] } };
    const h = await harness({
      demo: { externalAuth },
      settings: { externalAuth },
      tuning: { unknownRunnerStartMs: 300 },
    });
    const call = h.netapi.run({ client: 'runner', fun: 'jobs.lookup_jd', jid: '1', token: h.token });
    await expect(call).rejects.toMatchObject({ kind: 'invalid', message: "'jobs.lookup_jd' is not available." });
    expect(h.loads.map((load) => load['fun'])).toEqual(['doc.runner', 'jobs.lookup_jd']);
  });

  it('answers 400 for a runner function that never starts instead of waiting for timeout', async () => {
    const h = await harness({ tuning: { unknownRunnerStartMs: 300 } });
    const started = performance.now();
    const call = h.netapi.run({ client: 'runner', fun: 'jobs.lookup_jd', jid: '1', token: h.token });
    await expect(call).rejects.toMatchObject({ kind: 'invalid', message: "'jobs.lookup_jd' is not available." });
    // After 0.3 s, not the runner client's timeout; the margin is for a busy machine.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('refuses a fun that is not a function name at once', async () => {
    const h = await harness();
    await expect(h.netapi.run({ client: 'runner', fun: 'status', token: h.token })).rejects.toMatchObject({
      kind: 'invalid',
    });
    await expect(h.netapi.run({ client: 'runner', fun: '', token: h.token })).rejects.toMatchObject({
      message: 'Must specify a function to run!\nex: manage.up',
    });
    expect(h.loads).toEqual([]);
  });

  it('turns the master refusing the token into a 401-kind error', async () => {
    const h = await harness();
    const call = h.netapi.run({ client: 'runner', fun: 'manage.status', token: 'ab'.repeat(32) });
    await expect(call).rejects.toBeInstanceOf(MasterErrorReply);
    await expect(call).rejects.toMatchObject({ kind: 'auth', errorName: 'TokenAuthenticationError' });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_runner_bad_token').map(ordered));
  });

  it('runs auth.mk_token the way /token uses it', async () => {
    const h = await harness();
    const [record] = await h.netapi.run({
      client: 'runner',
      fun: 'auth.mk_token',
      kwarg: { username: 'saltdev', password: 'saltdev', eauth: 'pam' },
      username: 'saltdev',
      password: 'saltdev',
      eauth: 'pam',
    });
    expect(record).toMatchObject({ name: 'saltdev', eauth: 'pam', token: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});

describe('runner_async', () => {
  it("returns the master's {tag, jid}; the return follows on the bus", async () => {
    const h = await harness();
    const runs = h.master.bus.subscribe({ match: tagMatcher('salt/run/') });
    const [result] = await h.netapi.run({ client: 'runner_async', fun: 'manage.status', token: h.token });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_runner_async').map(ordered));
    const { tag, jid } = result as { tag: string; jid: string };
    expect(tag).toBe(`salt/run/${jid}`);
    for (;;) {
      const event = await runs.nextWithin(3_000);
      if (event === undefined) throw new Error('no ret event');
      if (event.tag === `${tag}/ret`) break;
    }
    runs.close();
  });
});

describe('wheel', () => {
  it('sends the chunk as the load and returns the {tag, data} envelope', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({ client: 'wheel', fun: 'key.list_all', token: h.token });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_wheel').map(ordered));
    const recorded = recordedReturn('saltapi_wheel') as { data: object };
    expect(Object.keys(result as object)).toEqual(['tag', 'data']);
    expect(Object.keys((result as { data: object }).data)).toEqual(Object.keys(recorded.data));
    expect(result).toMatchObject({
      data: { fun: 'wheel.key.list_all', success: true, return: { minions: ['minion-1'] } },
    });
  });

  it('keeps keyword arguments at the top level (saltapi_wheel_kwarg)', async () => {
    const h = await harness();
    const [result] = await h.netapi.run({ client: 'wheel', match: 'minion-1', token: h.token, fun: 'key.finger' });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_wheel_kwarg').map(ordered));
    expect(result).toMatchObject({ data: { return: { minions: { 'minion-1': expect.any(String) } } } });
  });
});

describe('wheel_async', () => {
  /**
   * Every `salt/wheel/` event on the bus from now on: read until `expected` have arrived, then on
   * until the bus has been quiet for `quietMs`, so that an event salt-apid would fire after the
   * master's reply (it used to, 300 ms after it) is counted too.
   */
  async function wheelEvents(h: NetapiHarness, expected: number, call: () => Promise<unknown>) {
    const wheels = h.master.bus.subscribe({ match: tagMatcher('salt/wheel/') });
    try {
      const answer = await call();
      const seen: Array<{ tag: string; data: Record<string, unknown> }> = [];
      for (;;) {
        const event = await wheels.nextWithin(seen.length < expected ? 5_000 : 1_000);
        if (event === undefined) break;
        seen.push({ tag: event.tag, data: event.data });
      }
      return { answer, seen };
    } finally {
      wheels.close();
    }
  }

  it("answers {tag, jid} at once, the jid it hands the master as salt-api's child does", async () => {
    const h = await harness();
    const [result] = await h.netapi.run({ client: 'wheel_async', token: h.token, fun: 'key.list_all' });
    const { tag, jid } = result as { tag: string; jid: string };
    expect(Object.keys(result as object)).toEqual(['tag', 'jid']);
    expect(jid).toMatch(/^\d{20}$/);
    expect(tag).toBe(`salt/wheel/${jid}`);
    await expect.poll(() => h.loads.length).toBe(1);
    expect(h.loads[0]).toMatchObject({ __jid__: jid, __tag__: tag, __user__: 'UNKNOWN' });
    expect(h.loads.map(ordered)).toEqual(recordedLoads('saltapi_wheel_async').map(ordered));
  });

  it("puts only the master's one /new and one /ret per call on the bus of a 3008 master", async () => {
    const h = await harness();
    const call = () => h.netapi.run({ client: 'wheel_async', token: h.token, fun: 'key.list_all' });
    const { answer, seen } = await wheelEvents(h, 4, async () => [...(await call()), ...(await call())]);
    const answered = (answer as Array<{ tag: string }>).map((a) => a.tag);
    // The master runs each job under a jid of its own: the answered tags see nothing, as salt-api's.
    const masterTags = [...new Set(seen.map((event) => event.tag.replace(/\/(new|ret)$/, '')))];
    expect(masterTags).toHaveLength(2);
    for (const tag of answered) expect(masterTags).not.toContain(tag);
    expect(seen.map((event) => event.tag).sort()).toEqual(
      masterTags.flatMap((tag) => [`${tag}/new`, `${tag}/ret`]).sort(),
    );
    const ret = seen.find((event) => event.tag.endsWith('/ret'))?.data;
    expect(ret).toMatchObject({ fun: 'wheel.key.list_all', user: 'saltdev', success: true });
    expect(ret?.['return']).toMatchObject({ minions: ['minion-1'] });
  });

  it("puts only what a 3006/3007 master fires on its bus: its own pair and the job's under the answered tag", async () => {
    const h = await harness({ demo: { wheelCallerJid: 'honoured' } });
    const { answer, seen } = await wheelEvents(h, 4, () =>
      h.netapi.run({ client: 'wheel_async', token: h.token, fun: 'key.list_all' }),
    );
    const [{ tag }] = answer as [{ tag: string }];
    const own = seen.filter((event) => event.tag.startsWith(`${tag}/`)).map((event) => event.tag);
    const masters = seen.filter((event) => !event.tag.startsWith(`${tag}/`)).map((event) => event.tag);
    expect(own).toEqual([`${tag}/new`, `${tag}/ret`]);
    expect(masters).toHaveLength(2);
    expect(masters[0]).toMatch(/^salt\/wheel\/\d{20}\/new$/);
    expect(masters[1]).toBe(masters[0]?.replace(/new$/, 'ret'));
  });
});
