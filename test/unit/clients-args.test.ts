import { describe, expect, it } from 'vitest';
import { batchSize } from '../../src/salt/clients/local/batch.js';
import { intOption, secondsOption } from '../../src/salt/clients/numeric-options.js';
import { conditionInput } from '../../src/salt/clients/positional-args.js';
import { localTimeoutSeconds } from '../../src/salt/clients/timeouts.js';
import { nodegroupComp, publishLoad, splitLocalChunk } from '../../src/salt/clients/local/local-load.js';
import { parseInput, parseKwarg, runnerLoad } from '../../src/salt/clients/runner/runner-args.js';
import { RUNNER_FUNCTIONS } from '../../src/salt/clients/runner/runner-catalog.js';
import { sshArgv, sshOptions } from '../../src/salt/clients/ssh/ssh-argv.js';
import { loadFixture } from '../support/fixtures.js';
import { testSettings } from '../support/settings.js';

/** Argument handling of the lowstate clients, without a master. */

function recordedLoad(fixture: string): Record<string, unknown> {
  const exchanges = loadFixture(fixture)['exchanges'] as Array<{
    request: { decoded: { load: Record<string, unknown> } };
  }>;
  const { cmd: _cmd, ...load } = exchanges[0]?.request.decoded.load ?? {};
  return load;
}

describe('runner argument normalisation (RunnerClient._reformat_low)', () => {
  it('builds the recorded load for arg name=value plus an old-style top-level keyword', () => {
    const token = '4d102c763ecdbd51239872a7af48cacaecb56b6efebd6ccea443bae1212169d0';
    const load = runnerLoad(
      'test.arg',
      { client: 'runner', arg: ['a', 'k2=v2'], k1: 'v1', token },
      RUNNER_FUNCTIONS.get('test.arg'),
    );
    expect(JSON.stringify(load)).toBe(JSON.stringify(recordedLoad('saltapi_runner_args_kwargs')));
  });

  it('sets credentials aside in salt-api order and merges arg, kwarg and top-level keys', () => {
    const load = runnerLoad(
      'test.arg',
      {
        key: 'k',
        user: 'u',
        client: 'runner',
        token: 't',
        eauth: 'pam',
        password: 'p',
        username: 'n',
        c: 3,
        kwarg: { b: 2, c: 1 },
        arg: ['x=1', 'a', { __kwarg__: true, d: 4 }],
      },
      RUNNER_FUNCTIONS.get('test.arg'),
    );
    expect(Object.keys(load)).toEqual([
      'fun',
      'kwarg',
      'username',
      'password',
      'eauth',
      'token',
      'client',
      'user',
      'key',
    ]);
    expect(JSON.stringify(load['kwarg'])).toBe(JSON.stringify({ kwarg: { x: 1, d: 4, b: 2, c: 3 }, arg: ['a'] }));
  });

  it('drops keywords the known function does not take and keeps all for unknown functions', () => {
    const chunk = { jid: '1', foo: 'bar', arg: ['returned=False'] };
    expect(runnerLoad('jobs.lookup_jid', chunk, RUNNER_FUNCTIONS.get('jobs.lookup_jid'))['kwarg']).toEqual({
      kwarg: { returned: false, jid: '1' },
      arg: [],
    });
    expect(runnerLoad('custom.thing', chunk, undefined)['kwarg']).toEqual({
      kwarg: { returned: false, jid: '1', foo: 'bar' },
      arg: [],
    });
  });

  it('yamlifies positional strings and keeps maps without the __kwarg__ marker positional', () => {
    expect(parseInput(['1', 'yes', 'text', { a: 1 }, { __kwarg__: false, b: 2 }])).toEqual({
      args: [1, true, 'text', { a: 1 }, { b: 2 }],
      kwargs: {},
    });
  });

  it('recognises name=value like KWARG_REGEX', () => {
    expect(parseKwarg('a=b')).toEqual(['a', 'b']);
    expect(parseKwarg('a.b-c=d=e')).toEqual(['a.b-c', 'd=e']);
    expect(parseKwarg('_x=')).toEqual(['_x', '']);
    expect(parseKwarg('1a=b')).toBeUndefined();
    expect(parseKwarg('a==b')).toBeUndefined();
    expect(parseKwarg('a=b\nc')).toBeUndefined();
  });

  it('knows the runner functions SaltGUI, pepper and the routes use', () => {
    for (const fun of [
      'jobs.active',
      'jobs.list_job',
      'jobs.list_jobs',
      'jobs.lookup_jid',
      'manage.versions',
      'manage.status',
      'cache.grains',
      'cache.pillar',
      'auth.mk_token',
      'test.arg',
      'state.orchestrate',
      'state.orch',
      'state.orchestrate_show_sls',
    ]) {
      expect(RUNNER_FUNCTIONS.has(fun), fun).toBe(true);
    }
    expect(RUNNER_FUNCTIONS.get('cache.grains')).toEqual({ params: ['tgt', 'tgt_type'], anyKeyword: true });
  });
});

describe('local publish loads (LocalClient._prep_pub)', () => {
  const settings = testSettings({
    master: { user: 'root', nodegroups: { web: 'web-1 web-2', db: ['db-*'], both: 'N@web or N@db', re: 'web-[12]' } },
  }).master;

  it('keeps every extra key in kwargs in chunk order and folds kwarg into arg', () => {
    const split = splitLocalChunk(
      {
        client: 'local',
        tgt: '*',
        metadata: { a: 1 },
        fun: 'test.arg',
        arg: ['a'],
        kwarg: { x: 'y' },
        token: 't',
        timeout: 3,
      },
      'local',
    );
    expect(Object.keys(split.extras)).toEqual(['client', 'metadata', 'token']);
    expect(conditionInput(['a'], { x: 'y' })).toEqual(['a', { __kwarg__: true, x: 'y' }]);
    expect(conditionInput(['a'], {})).toEqual(['a']);
    expect(conditionInput([20261123084518370030n], null)).toEqual(['20261123084518370030']);
  });

  it('maps expr_form to tgt_type only when tgt_type is absent', () => {
    expect(splitLocalChunk({ tgt: 'a,b', fun: 'f', expr_form: 'list' }, 'local').tgtType).toBe('list');
    const both = splitLocalChunk({ tgt: 'a', fun: 'f', tgt_type: 'glob', expr_form: 'list' }, 'local');
    expect(both.tgtType).toBe('glob');
    expect(both.extras).toEqual({ expr_form: 'list' });
  });

  it('names what a local chunk lacks', () => {
    expect(() => splitLocalChunk({ fun: 'f' }, 'local')).toThrow("Missing 'tgt' in a local chunk");
    expect(() => splitLocalChunk({}, 'local_batch')).toThrow("Missing 'tgt' and 'fun' in a local_batch chunk");
  });

  it('resolves nodegroups like nodegroup_comp', () => {
    expect(nodegroupComp('web', settings.nodegroups, new Set(), true)).toEqual(['L@web-1,web-2']);
    expect(nodegroupComp('db', settings.nodegroups, new Set(), true)).toEqual(['db-*']);
    expect(nodegroupComp('re', settings.nodegroups, new Set(), true)).toEqual(['E@web-[12]']);
    expect(nodegroupComp('both', settings.nodegroups, new Set(), true)).toEqual([
      '(',
      'L@web-1,web-2',
      'or',
      '(',
      'db-*',
      ')',
      ')',
    ]);
    const spec = {
      tgt: 'G@os:Linux and N@web',
      fun: 'test.ping',
      arg: [],
      tgt_type: 'compound',
      ret: '',
      jid: '',
      kwargs: {},
    };
    expect(publishLoad(spec, settings)).toMatchObject({
      tgt: 'G@os:Linux and L@web-1,web-2',
      tgt_type: 'compound',
      user: 'root',
    });
    expect(publishLoad({ ...spec, tgt: 'both', tgt_type: 'nodegroup' }, settings)).toMatchObject({
      tgt: '( L@web-1,web-2 or ( db-* ) )',
      tgt_type: 'compound',
    });
  });

  it('reads timeouts like LocalClient._get_timeout', () => {
    expect(localTimeoutSeconds(3, 5)).toBe(3);
    expect(localTimeoutSeconds('3', 5)).toBe(3);
    expect(localTimeoutSeconds(1.5, 5)).toBe(5);
    expect(localTimeoutSeconds('soon', 5)).toBe(5);
    expect(localTimeoutSeconds(null, 5)).toBe(5);
  });
});

describe('batch sizes (get_batch_size)', () => {
  it('reads counts and percentages of the answering minions', () => {
    expect(batchSize('10%', 5)).toBe(1);
    expect(batchSize('50%', 4)).toBe(2);
    expect(batchSize('75%', 10)).toBe(7);
    expect(batchSize('3', 10)).toBe(3);
    expect(batchSize(2, 10)).toBe(2);
    expect(batchSize('0', 10)).toBe(1);
    expect(() => batchSize('many', 10)).toThrow('Invalid batch specification');
  });
});

describe('numeric options', () => {
  it("reads them with Python's int() and float()", () => {
    expect([3, 2.9, '1_000', ' 7 ', true].map((v) => intOption(v, 'sub'))).toEqual([3, 2, 1000, 7, 1]);
    expect([3, '2.5', ' 1e1 ', 'inf', false].map((v) => secondsOption(v, 'timeout'))).toEqual([
      3,
      2.5,
      10,
      Infinity,
      0,
    ]);
  });

  it('answers 400 naming the option for what Python refuses, and for nan seconds', () => {
    expect(() => intOption('1.5', 'sub')).toThrow(`'sub' must be a whole number, not "1.5"`);
    expect(() => intOption(null, 'sub')).toThrow(`'sub' must be a whole number, not "None"`);
    expect(() => secondsOption('nan', 'timeout')).toThrow(`'timeout' must be a number of seconds, not "nan"`);
    expect(() => secondsOption('0x10', 'timeout')).toThrow(`'timeout' must be a number of seconds`);
  });
});

describe('ssh command line', () => {
  it('turns allow-listed options into flags with their Python coercions', () => {
    expect(
      sshOptions({
        ssh_port: 22,
        ssh_max_procs: '4',
        ssh_scan_timeout: 'x',
        ssh_keepalive: false,
        ssh_sudo: 0,
        roster: 'flat',
        ssh_priv: 'a ProxyCommand b',
        raw_shell: 1,
      }).flags,
    ).toEqual(['--disable-keepalive', '--max-procs=4', '--raw-shell', '--roster=flat']);
  });

  it('keeps passwords off the command line: they are secrets for a private Saltfile', () => {
    const { argv, secrets } = sshArgv(
      { tgt: 'web1', fun: 'test.ping', ssh_passwd: 's3cret', ssh_priv_passwd: 12, ssh_user: 'deploy' },
      '20260101000000000000',
    );
    expect(argv.join(' ')).not.toMatch(/s3cret|passwd|=12\b/);
    expect(argv).toContain('--user=deploy');
    expect([...secrets]).toEqual([
      ['ssh_passwd', 's3cret'],
      ['ssh_priv_passwd', '12'],
    ]);
  });

  it('passes list targets comma-joined after --', () => {
    const { argv } = sshArgv(
      { tgt: ['a', 'b'], tgt_type: 'list', fun: 'test.echo', arg: [{ k: 1 }] },
      '20260101000000000000',
    );
    expect(argv.slice(-5)).toEqual(['--list', '--', 'a,b', 'test.echo', '{"k":1}']);
    expect(() => sshArgv({ tgt: 'a', tgt_type: 'ipcidr', fun: 'f' }, 'j')).toThrow(
      "salt-ssh cannot target by 'ipcidr'",
    );
  });
});
