import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MasterSettings } from '../../src/config/types.js';
import type { SaltMap } from '../../src/salt/codec/values.js';
import { harness, type NetapiHarness } from '../support/clients.js';
import { fakeSaltSshFor, tempDirFor, type FakeRun, type FakeSaltSsh } from '../support/salt-ssh.js';

/**
 * Salt's own integration cases for the netapi `ssh` client (its netapi ssh-client test module:
 * the CVE-2020-16846 shell-injection set, the CVE-2020-25592 authentication set, the
 * CVE-2021-3197 ProxyCommand set and the plain calls), run against the demo master and the
 * salt-ssh stand-in. The stand-in answers each case with what a real 3008 salt-ssh printed and
 * fired for it (127.0.0.1 with no sshd listening); the assertions are Salt's, plus what salt-apid
 * must hand salt-ssh: every caller value as one argument of its own, never through a shell.
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SSH: Partial<MasterSettings> = { netapiEnableClients: ['ssh'] };
const SALTDEV = { username: 'saltdev', password: 'saltdev', eauth: 'pam' };
// Salt's cases log in through `auto` (any password) as an account of their own.
const AUTO = { username: 'autouser', password: 'anything', eauth: 'auto' };

const fake = (h: NetapiHarness, run: Omit<FakeRun, 'pullPath'>): Promise<FakeSaltSsh> =>
  fakeSaltSshFor(h, run, cleanups);

const tempDir = (): Promise<string> => tempDirFor('ssh-salt-cases-', cleanups);

/**
 * What a real salt-ssh fires (and, with --static, prints) for a host whose ssh command failed:
 * SSH.run fills the result in place before it prints, so both carry the same dictionary.
 */
function failedHost(stderr: string): SaltMap {
  return {
    stdout: '',
    stderr,
    retcode: 255,
    parsed: null,
    _error: 'The command resulted in a non-zero exit code',
    id: '127.0.0.1',
    fun: 'test.ping',
    fun_args: [],
    success: false,
    return: stderr,
  };
}

/** A reachable `localhost` roster host answering test.ping. */
const PONG: SaltMap = { return: true, retcode: 0, id: 'localhost', fun: 'test.ping', fun_args: [], success: true };

async function pong(h: NetapiHarness): Promise<FakeSaltSsh> {
  return fake(h, { stdout: '{"localhost": true}', events: { localhost: PONG } });
}

function hostOf(result: unknown, host: string): Record<string, unknown> {
  return (result as Record<string, Record<string, unknown>>)[host] ?? {};
}

describe('ssh: the CVE-2020-16846 shell-injection cases', () => {
  const REFUSED = 'ssh: connect to host 127.0.0.1 port 22: Connection refused';
  const cases: Array<{
    name: string;
    chunk: (path: string) => SaltMap;
    /** What real salt-ssh's ssh said for the case. */
    stderr: (path: string) => string;
    /** The argument salt-ssh must get, verbatim; none: the value must not reach salt-ssh at all. */
    argument: (path: string) => string | undefined;
  }> = [
    {
      name: 'tgt',
      chunk: (path) => ({ tgt: `root|id>${path} #@127.0.0.1`, ignore_host_keys: true }),
      stderr: () => 'remote username contains invalid characters',
      argument: (path) => `root|id>${path} #@127.0.0.1`,
    },
    {
      name: 'ssh_priv',
      chunk: (path) => ({ tgt: '127.0.0.1', ssh_priv: `aaa|id>${path} #`, ignore_host_keys: true }),
      stderr: () => REFUSED,
      argument: (path) => `--priv=aaa|id>${path} #`,
    },
    {
      name: 'ssh_options',
      chunk: (path) => ({ tgt: '127.0.0.1', renderer: 'jinja|yaml', ssh_options: [`|id>${path} #`, 'lol'] }),
      stderr: (path) => `command-line line 0: no argument after keyword "|id>${path}"`,
      argument: (path) => `--ssh-option=|id>${path} #`,
    },
    {
      name: 'ssh_port',
      chunk: (path) => ({ tgt: '127.0.0.1', renderer: 'jinja|yaml', ssh_port: `hhhhh|id>${path} #` }),
      stderr: () => REFUSED,
      // Not a number: dropped, as salt-api's int() drops it.
      argument: () => undefined,
    },
    {
      name: 'remote_port_forwards',
      chunk: (path) => ({
        tgt: '127.0.0.1',
        renderer: 'jinja|yaml',
        ssh_remote_port_forwards: `hhhhh|id>${path} #, lol`,
        ignore_host_keys: true,
      }),
      stderr: () => REFUSED,
      argument: (path) => `--remote-port-forwards=hhhhh|id>${path} #, lol`,
    },
  ];

  it.each(cases)(
    '$name: no command runs, and the host comes back failed with its stderr',
    async ({ chunk, stderr, argument }) => {
      const h = await harness({ settings: SSH });
      const path = join(await tempDir(), 'injected');
      const host = failedHost(stderr(path));
      const ssh = await fake(h, {
        stdout: JSON.stringify({ '127.0.0.1': host }),
        exitCode: 20,
        events: { '127.0.0.1': host },
      });
      const [result] = await h.netapi.run({
        client: 'ssh',
        roster: 'cache',
        fun: 'test.ping',
        roster_file: '/etc/salt/roster',
        rosters: '/',
        ...AUTO,
        ...chunk(path),
      });
      expect(existsSync(path)).toBe(false);
      const answered = hostOf(result, '127.0.0.1');
      expect(answered['stdout']).toBe('');
      expect(answered['stderr']).toBeTruthy();
      expect(answered).toMatchObject({ ...host, jid: expect.stringMatching(/^\d{20}$/) as unknown });
      const argv = await ssh.argv();
      const expected = argument(path);
      if (expected === undefined) expect(argv.join('\n')).not.toContain(path);
      else expect(argv).toContain(expected);
    },
  );
});

describe('ssh: the CVE-2020-25592 authentication cases', () => {
  it('runs for valid eauth credentials (pam and auto) and for a token', async () => {
    const h = await harness({ settings: SSH });
    await pong(h);
    const low = { client: 'ssh', tgt: 'localhost', fun: 'test.ping', roster_file: 'roster', rosters: ['/etc/salt'] };
    const token = await h.master.commands.mkToken(SALTDEV);
    for (const credentials of [SALTDEV, AUTO, { token: token?.token ?? '' }]) {
      const [result] = await h.netapi.run({ ...low, ...credentials });
      expect(hostOf(result, 'localhost')).toMatchObject({ return: true, id: 'localhost', fun: 'test.ping' });
    }
  });

  it('refuses no credentials, a bogus eauth, a wrong password (with or without an ACL-refused function)', async () => {
    const h = await harness({ settings: SSH });
    const ssh = await pong(h);
    const low = { client: 'ssh', tgt: 'localhost', fun: 'test.ping' };
    for (const chunk of [
      low,
      { ...low, roster: 'cache', tgt: '127.0.0.1', renderer: 'jinja|yaml', rosters: '/', eauth: 'xx' },
      { ...low, ...SALTDEV, password: 'notvalidpassword' },
      { ...low, ...SALTDEV, password: 'notvalidpassword', fun: 'at.at', args: ['12:05am', 'echo foo'] },
    ]) {
      await expect(h.netapi.run(chunk)).rejects.toMatchObject({ kind: 'auth' });
    }
    // salt-ssh never ran.
    await expect(ssh.argv()).rejects.toThrow();
  });
});

describe('ssh: raw_shell and a disabled client', () => {
  it('refuses a raw_shell ProxyCommand without credentials, and with them while raw shells are off', async () => {
    const h = await harness({ settings: { ...SSH, netapiAllowRawShell: false } });
    const ssh = await pong(h);
    const dir = await tempDir();
    const badfile = join(dir, 'badfile.txt');
    const low = { client: 'ssh', tgt: 'localhost', fun: `-o ProxyCommand touch ${badfile}`, raw_shell: true };
    for (const chunk of [low, { ...low, ...SALTDEV }]) {
      await expect(h.netapi.run(chunk)).rejects.toMatchObject({ kind: 'auth' });
    }
    expect(existsSync(badfile)).toBe(false);
    await expect(ssh.argv()).rejects.toThrow();
  });

  it('answers SaltInvocationError (400) when ssh is not in netapi_enable_clients', async () => {
    const h = await harness({ settings: { netapiEnableClients: [] } });
    await pong(h);
    await expect(h.netapi.run({ client: 'ssh', tgt: 'localhost', fun: 'test.ping', ...AUTO })).rejects.toMatchObject({
      kind: 'invalid',
      saltInvocation: true,
    });
  });
});

describe('ssh: the CVE-2021-3197 ProxyCommand cases and thin_extra_mods', () => {
  it('drops a ProxyCommand smuggled in ssh_port or ssh_options, and still runs the call', async () => {
    const dir = await tempDir();
    const exploited = join(dir, 'exploited');
    for (const smuggled of [
      { ssh_port: `22 -o ProxyCommand="touch ${exploited}"` },
      { ssh_port: 22, ssh_options: [`ProxyCommand="touch ${exploited}"`] },
    ]) {
      const h = await harness({ settings: SSH });
      const ssh = await pong(h);
      const [result] = await h.netapi.run({
        client: 'ssh',
        tgt: 'localhost',
        fun: 'test.ping',
        ssh_priv: '/etc/salt/pki/master/ssh/salt-ssh.rsa',
        roster_file: 'roster',
        rosters: ['/etc/salt'],
        ...AUTO,
        ...smuggled,
      });
      expect(existsSync(exploited)).toBe(false);
      expect(hostOf(result, 'localhost')).toMatchObject({ return: true });
      expect((await ssh.argv()).join('\n')).not.toContain('ProxyCommand');
    }
  });

  it('hands thin_extra_mods over as one argument', async () => {
    const h = await harness({ settings: SSH });
    const ssh = await pong(h);
    const path = join(await tempDir(), 'test_extra_mods');
    const [result] = await h.netapi.run({
      client: 'ssh',
      tgt: 'localhost',
      fun: 'test.ping',
      roster_file: 'roster',
      rosters: ['/etc/salt'],
      ...SALTDEV,
      regen_thin: true,
      thin_extra_mods: `';touch ${path};'`,
    });
    expect(existsSync(path)).toBe(false);
    expect(hostOf(result, 'localhost')).toMatchObject({ return: true });
    const argv = await ssh.argv();
    expect(argv).toContain(`--thin-extra-modules=';touch ${path};'`);
    expect(argv).toContain('--regen-thin');
  });
});

describe('ssh: salt-ssh failing before any host', () => {
  it('is the 500 envelope salt-api answers (its exception), not an empty answer', async () => {
    const h = await harness({ settings: SSH });
    await fake(h, {
      stdout: '',
      stderr: 'Traceback (most recent call last):\n  ...\nOSError: Roster file "/etc/salt/roster" not found\n',
      exitCode: 1,
    });
    await expect(
      h.netapi.run({ client: 'ssh', roster: 'cache', tgt: '127.0.0.1', fun: 'test.ping', ...AUTO }),
    ).rejects.toMatchObject({
      name: 'SaltSshFailedError',
      kind: 'bad-reply',
      exitCode: 1,
      message: expect.stringContaining('OSError: Roster file "/etc/salt/roster" not found') as unknown,
    });
  });

  it('still answers {} for a target that matches no host (salt-ssh prints {} and exits 0)', async () => {
    const h = await harness({ settings: SSH });
    await fake(h, { stdout: '{}', stderr: '[ERROR   ] No matching targets found in roster.\n', exitCode: 0 });
    await expect(h.netapi.run({ client: 'ssh', tgt: 'nomatch*', fun: 'test.ping', ...AUTO })).resolves.toEqual([{}]);
  });
});
