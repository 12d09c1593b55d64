import { describe, expect, it } from 'vitest';
import { clearFuncs } from '../../src/demo/clear-funcs.js';
import { createMasterContext, newDemoState } from '../../src/demo/master-context.js';
import type { DemoMasterOptions } from '../../src/demo/options.js';
import { isSaltMap, type SaltMap, type SaltValue } from '../../src/salt/codec/values.js';
import type { SaltEvent } from '../../src/salt/event-frame.js';

/** The master's command layer without sockets: commands in, replies and fired events out. */
function harness(options: DemoMasterOptions = {}) {
  const events: SaltEvent[] = [];
  const abort = new AbortController();
  const merged = { returnDelayMs: 1, ...options };
  const ctx = createMasterContext(
    merged,
    newDemoState(merged),
    (tag, data) => events.push({ tag, data: { ...data } }),
    abort.signal,
  );
  const commands = clearFuncs(ctx);
  const run = (load: SaltMap): Promise<SaltValue> => commands.get(load['cmd'] as string)!(load);
  const tagged = (fragment: string): SaltEvent[] => events.filter((e) => e.tag.includes(fragment));
  const waitFor = async (fragment: string, count = 1): Promise<SaltEvent[]> => {
    // A deadline, not a count of tries: a busy machine may take longer than a few hundred short sleeps.
    for (const deadline = Date.now() + 15_000; tagged(fragment).length < count && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 5));
    }
    return tagged(fragment);
  };
  const login = async (): Promise<string> => {
    const record = await run({ username: 'saltdev', password: 'saltdev', eauth: 'pam', cmd: 'mk_token' });
    return isSaltMap(record) ? (record['token'] as string) : '';
  };
  const publish = async (token: string, tgt: SaltValue, fun: SaltValue, arg: SaltValue[] = [], tgtType = 'glob') =>
    (await run({
      cmd: 'publish',
      tgt,
      fun,
      arg,
      tgt_type: tgtType,
      ret: '',
      user: 'root',
      kwargs: { token },
    })) as SaltMap;
  const runner = async (token: string, fun: string, arg: SaltValue[] = [], kwarg: SaltMap = {}) =>
    (await run({ fun, kwarg: { kwarg, arg }, token, client: 'runner', cmd: 'runner' })) as { jid: string };
  const runnerResult = async (token: string, fun: string, arg: SaltValue[] = [], kwarg: SaltMap = {}) => {
    const { jid } = await runner(token, fun, arg, kwarg);
    return (await waitFor(`salt/run/${jid}/ret`))[0]?.data;
  };
  const wheel = async (token: string, fun: string, kwargs: SaltMap = {}) =>
    ((await run({ client: 'wheel', token, ...kwargs, fun, cmd: 'wheel' })) as { data: SaltMap }).data;
  return { events, run, tagged, waitFor, login, publish, runner, runnerResult, wheel };
}

const jidOf = (reply: SaltMap): string => (reply['load'] as SaltMap)['jid'] as string;

describe('demo master commands', () => {
  it('deletes expired tokens and refuses them', async () => {
    const h = harness({ tokenExpire: 0.05 });
    const token = await h.login();
    await new Promise((r) => setTimeout(r, 100));
    expect(await h.run({ token, cmd: 'get_token' })).toEqual({});
    expect(await h.publish(token, '*', 'test.ping')).toEqual({
      error: { name: 'AuthenticationError', message: 'Authentication error occurred.' },
    });
  });

  it('applies per-target ACLs, always allowing saltutil.find_job', async () => {
    const h = harness({ externalAuth: { pam: { saltdev: [{ 'minion-1': ['test.*'] }] } } });
    const token = await h.login();
    expect(jidOf(await h.publish(token, 'minion-1', 'test.ping'))).toMatch(/^\d{20}$/);
    expect((await h.publish(token, '*', 'test.ping'))['error']).toMatchObject({ name: 'AuthorizationError' });
    expect((await h.publish(token, 'minion-1', 'cmd.run', ['ls']))['error']).toMatchObject({
      name: 'AuthorizationError',
    });
    expect(jidOf(await h.publish(token, '*', 'saltutil.find_job', ['1']))).toMatch(/^\d{20}$/);
    expect(await h.runner(token, 'manage.status')).toEqual({
      error: {
        name: 'TokenAuthenticationError',
        message: 'Authentication failure of type "token" occurred for user saltdev.',
      },
    });
  });

  it('runs minion functions with Salt argument handling and error returns', async () => {
    const h = harness({ minions: ['minion-1'] });
    const token = await h.login();
    const ret = async (fun: SaltValue, arg: SaltValue[]) => {
      const jid = jidOf(await h.publish(token, 'minion-1', fun, arg));
      return (await h.waitFor(`${jid}/ret/minion-1`))[0]!.data;
    };
    const grains = await ret('grains.items', []);
    expect(grains['return']).toMatchObject({ id: 'minion-1', os: 'Debian', saltversion: '3008.0' });
    expect(grains['out']).toBe('nested');
    // As large as a small VM's grains: a few KB, most of it cpu_flags.
    expect(JSON.stringify(grains['return']).length).toBeGreaterThan(3_000);
    expect((await ret('cmd.run', ['echo hello']))['return']).toBe('hello');
    // Output of any size: seq prints one number a line.
    const seq = (await ret('cmd.run', ['seq 200000']))['return'];
    expect(typeof seq === 'string' && seq.length).toBe(1_288_894);
    expect((await ret('cmd.run', ['seq 3 5']))['return']).toBe('3\n4\n5');
    expect((await ret('test.arg', ['a', 'n=2']))['return']).toMatchObject({
      args: ['a'],
      kwargs: { n: 2, __pub_fun: 'test.arg' },
    });
    expect(await ret('test.echo', [])).toMatchObject({
      success: false,
      return: expect.stringContaining(
        "Passed invalid arguments to test.echo: echo() missing 1 required positional argument: 'text'",
      ),
      retcode: 1,
      out: 'nested',
    });
    expect((await ret('test.echo', ['x', 'z=1']))['return']).toBe(
      "ERROR executing 'test.echo': The following keyword arguments are not valid: z=1",
    );
    expect((await ret('sys.list_functions', []))['return']).toContain('test.ping');
    const multi = await ret(['test.ping', 'test.version'], [[], []]);
    expect(Object.keys(multi)).toEqual([
      'cmd',
      'id',
      'return',
      'retcode',
      'success',
      'jid',
      'fun',
      'fun_args',
      'user',
      '_stamp',
      'ts',
    ]);
  });

  it('keeps dead minions targeted but silent, and reports them down', async () => {
    const h = harness({ minions: ['minion-1'], deadMinions: ['minion-9'] });
    const token = await h.login();
    const reply = await h.publish(token, '*', 'test.ping');
    expect(reply['load']).toMatchObject({ minions: ['minion-1', 'minion-9'], missing: [] });
    expect((await h.runnerResult(token, 'manage.status'))?.['return']).toEqual({
      up: ['minion-1'],
      down: ['minion-9'],
    });
    expect(h.tagged(`${jidOf(reply)}/ret/minion-9`)).toEqual([]);
  });

  it('answers test.get_opts with its options, as a master answers with its __opts__', async () => {
    // Without it a runner call waited the whole rest_timeout (300 s) for a return that never came.
    const h = harness({ sockDir: '/run/demo', tokenExpire: 60 });
    const token = await h.login();
    expect((await h.runnerResult(token, 'test.get_opts'))?.['return']).toMatchObject({
      sock_dir: '/run/demo',
      token_expire: 60,
      hash_type: 'sha256',
    });
  });

  it('reports a running job through find_job and jobs.active, then caches its result', async () => {
    const h = harness({ minions: ['minion-1'] });
    const token = await h.login();
    const jid = jidOf(await h.publish(token, 'minion-1', 'test.sleep', [1]));
    await new Promise((r) => setTimeout(r, 50));
    const find = jidOf(await h.publish(token, ['minion-1'], 'saltutil.find_job', [jid], 'list'));
    expect((await h.waitFor(`${find}/ret/minion-1`))[0]!.data['return']).toMatchObject({
      jid,
      fun: 'test.sleep',
      arg: [1],
    });
    const active = (await h.runnerResult(token, 'jobs.active'))?.['return'] as SaltMap;
    expect(active[jid]).toMatchObject({
      Function: 'test.sleep',
      Running: [{ 'minion-1': expect.any(Number) }],
      Returned: [],
    });
    await h.waitFor(`${jid}/ret/minion-1`);
    const job = (await h.runnerResult(token, 'jobs.list_job', [jid]))?.['return'] as SaltMap;
    expect(Object.keys(job)).toEqual([
      'jid',
      'Function',
      'Arguments',
      'Target',
      'Target-type',
      'User',
      'Minions',
      'StartTime',
      'Result',
    ]);
    expect(job['Result']).toEqual({ 'minion-1': { return: true, retcode: 0, success: true } });
    expect((await h.runnerResult(token, 'jobs.list_job', ['20990101000000000000']))?.['return']).toEqual({
      jid: '20990101000000000000',
      Error: 'Cannot contact returner or no job with this jid',
      StartTime: '2099, Jan 01 00:00:00.000000',
      Result: {},
    });
  });

  it('wraps lookup_jid in an outputter record when the minion named one', async () => {
    const h = harness({ minions: ['minion-1'] });
    const token = await h.login();
    const jid = jidOf(await h.publish(token, 'minion-1', 'nosuch.function'));
    await h.waitFor(`${jid}/ret/minion-1`);
    expect((await h.runnerResult(token, 'jobs.lookup_jid', [], { jid }))?.['return']).toEqual({
      outputter: 'nested',
      data: { 'minion-1': "'nosuch.function' is not available." },
    });
  });

  it('manages keys: accept a pending minion, gen_accept, finger, delete', async () => {
    const h = harness({ minions: ['minion-1'], pendingKeys: ['late-1'] });
    const token = await h.login();
    expect((await h.wheel(token, 'key.accept', { match: 'late-1' }))['return']).toEqual({ minions: ['late-1'] });
    expect(h.tagged('salt/key')[0]?.data).toMatchObject({ result: true, act: 'accept', id: 'late-1' });
    const jid = jidOf(await h.publish(token, 'late-1', 'test.ping'));
    expect(await h.waitFor(`${jid}/ret/late-1`)).toHaveLength(1);
    const pair = (await h.wheel(token, 'key.gen_accept', { id_: 'fresh' }))['return'] as SaltMap;
    expect(pair['pub']).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(pair['priv']).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    expect((await h.wheel(token, 'key.gen_accept', { id_: 'fresh' }))['return']).toEqual({});
    const finger = (await h.wheel(token, 'key.finger', { match: 'fresh' }))['return'] as { minions: SaltMap };
    expect(finger.minions['fresh']).toMatch(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/);
    expect((await h.wheel(token, 'key.delete', { match: 'fresh' }))['return']).toEqual({});
    expect((await h.wheel(token, 'minions.connected'))['return']).toEqual(['late-1', 'minion-1']);
  }, 15_000);

  it('wheel calls that cannot start fail like this snapshot, with only a ret event', async () => {
    const h = harness();
    const token = await h.login();
    const data = await h.wheel(token, 'key.finger');
    expect(data).toMatchObject({
      success: false,
      return:
        "Exception occurred in wheel key.finger: UnboundLocalError: cannot access local variable 'proc_fn' where it is not associated with a value",
    });
    const jid = data['jid'] as string;
    expect(h.tagged(jid).map((e) => e.tag)).toEqual([`salt/wheel/${jid}/ret`]);
  });

  it('answers a runner called with arguments it does not take with the usage text', async () => {
    const h = harness();
    const token = await h.login();
    const data = await h.runnerResult(token, 'test.sleep', [], { bogus: 1 });
    expect(data).toMatchObject({
      fun_args: [{ bogus: 1 }],
      return:
        "\nPassed invalid arguments: sleep() got an unexpected keyword argument 'bogus'\n\nUsage:\nSleep t seconds, then return True",
      success: true,
    });
  });
});
