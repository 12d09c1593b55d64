import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createNetapi } from '../../src/salt/clients/netapi-dispatcher.js';
import { NETAPI_CLIENTS } from '../../src/salt/clients/netapi.js';
import { SaltMaster } from '../../src/salt/master.js';
import { testSettings } from '../support/settings.js';
import { harness } from '../support/clients.js';

/** Gatekeeping in salt-api's order (docs/routes.md "Lowstate clients") and the ssh client. */

describe('gatekeeping', () => {
  it('answers 503 "not available" while the master is unreachable', async () => {
    const master = new SaltMaster({
      requestEndpoint: 'tcp://127.0.0.1:1',
      pub: { path: '/nonexistent/pub.ipc' },
      pull: { path: '/nonexistent/pull.ipc' },
      pullFraming: 'bare',
    });
    const netapi = createNetapi({ master, settings: testSettings().master });
    expect(netapi.masterAvailable).toBe(false);
    await expect(netapi.run({ client: 'bogus' })).rejects.toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('Salt Master is not available'),
    });
    master.close();
  });

  it('names an unknown or missing client, before looking at credentials', async () => {
    const h = await harness();
    expect(h.netapi.masterAvailable).toBe(true);
    await expect(h.netapi.run({ client: 'bogus' })).rejects.toMatchObject({
      kind: 'invalid',
      message: "Invalid client specified: 'bogus'",
    });
    await expect(h.netapi.run({ fun: 'test.ping' })).rejects.toMatchObject({
      kind: 'invalid',
      message: "Invalid client specified: 'None'",
    });
  });

  it('refuses clients missing from netapi_enable_clients', async () => {
    const h = await harness({ settings: { netapiEnableClients: ['local'] } });
    for (const client of NETAPI_CLIENTS.filter((c) => c !== 'local')) {
      await expect(h.netapi.run({ client, token: h.token })).rejects.toMatchObject({
        kind: 'invalid',
        message: `Client disabled: '${client}'. Add to 'netapi_enable_clients' master config option to enable.`,
      });
    }
  });

  it('wants token or eauth: username and password alone are no credentials', async () => {
    const h = await harness();
    await expect(
      h.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', username: 'saltdev', password: 'saltdev' }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'No authentication credentials given',
    });
    expect(h.loads).toEqual([]);
  });

  it('refuses raw_shell unless netapi_allow_raw_shell', async () => {
    const refused = await harness();
    await expect(
      refused.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', raw_shell: true, token: refused.token }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'Raw shell option not allowed.',
    });
    const allowed = await harness({ settings: { netapiAllowRawShell: true } });
    expect(
      await allowed.netapi.run({ client: 'local', tgt: '*', fun: 'test.ping', raw_shell: true, token: allowed.token }),
    ).toEqual([{ 'minion-1': true }]);
  });

  it('says "<client> takes at least 1 argument (0 given)" for runner and wheel chunks without fun', async () => {
    const h = await harness();
    for (const client of ['runner', 'runner_async', 'wheel', 'wheel_async']) {
      await expect(h.netapi.run({ client, token: h.token })).rejects.toMatchObject({
        kind: 'invalid',
        message: `${client} takes at least 1 argument (0 given)`,
      });
    }
    expect(h.loads).toEqual([]);
  });
});

describe('ssh', () => {
  const restore: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const undo of restore.splice(0).reverse()) await undo();
  });

  /** A stand-in `salt-ssh` on PATH that records its arguments and prints `output`. */
  async function fakeSaltSsh(output: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'fake-salt-ssh-'));
    const argsFile = join(dir, 'args');
    await writeFile(join(dir, 'salt-ssh'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}'\nprintf '%s' '${output}'\n`);
    await chmod(join(dir, 'salt-ssh'), 0o755);
    const path = process.env['PATH'];
    process.env['PATH'] = `${dir}${delimiter}${path ?? ''}`;
    restore.push(
      () => {
        process.env['PATH'] = path;
      },
      () => rm(dir, { recursive: true, force: true }),
    );
    return argsFile;
  }

  const sshSettings = { netapiEnableClients: ['ssh', 'local'] };

  it('answers 501 with a clear message when salt-ssh is not installed', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    restore.push(() => {
      process.env['PATH'] = path;
    });
    const h = await harness({ settings: sshSettings });
    await expect(h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', token: h.token })).rejects.toMatchObject({
      kind: 'not-implemented',
      message: expect.stringContaining('salt-ssh is not installed on this host'),
    });
  });

  it('checks credentials before it says salt-ssh is missing: 401 first, as salt-api', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    restore.push(() => {
      process.env['PATH'] = path;
    });
    const h = await harness({ settings: sshSettings });
    for (const credentials of [
      { username: 'saltdev', password: 'wrong', eauth: 'pam' },
      { token: 'f'.repeat(64) },
      { username: 'nobody', password: 'x', eauth: 'auto' },
    ]) {
      await expect(h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', ...credentials })).rejects.toMatchObject({
        kind: 'auth',
      });
    }
  });

  it('runs salt-ssh with the allow-listed options, dropping ProxyCommand, and wraps its JSON output', async () => {
    const argsFile = await fakeSaltSsh('{"host-1": true}');
    const h = await harness({ settings: sshSettings });
    const [result] = await h.netapi.run({
      client: 'ssh',
      tgt: 'host-*',
      fun: 'test.echo',
      arg: ['hi'],
      kwarg: { n: 1 },
      token: h.token,
      ssh_user: 'deploy',
      ssh_options: ['ProxyCommand=nc evil 22', 'Port=2222'],
      roster_file: '/tmp/mine',
      ignore_host_keys: 'yes',
      bogus: 1,
    });
    expect(result).toMatchObject({
      'host-1': {
        return: true,
        retcode: 0,
        fun: 'test.echo',
        fun_args: ['hi', { __kwarg__: true, n: 1 }],
        id: 'host-1',
      },
    });
    const argv = (await readFile(argsFile, 'utf8')).trimEnd().split('\n');
    expect(argv).toEqual([
      '--out=json',
      '--static',
      expect.stringMatching(/^--jid=\d{20}$/),
      '--user=deploy',
      '--ssh-option=Port=2222',
      '--ignore-host-keys',
      '--',
      'host-*',
      'test.echo',
      'hi',
      'n=1',
    ]);
  });

  it('checks the credentials and the external_auth ACL first', async () => {
    await fakeSaltSsh('{}');
    const h = await harness({ settings: sshSettings });
    await expect(
      h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', token: 'ab'.repeat(32) }),
    ).rejects.toMatchObject({ kind: 'auth' });
    await expect(
      h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', username: 'nobody', password: 'x', eauth: 'auto' }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'Authorization error occurred.',
    });
    expect(
      await h.netapi.run({
        client: 'ssh',
        tgt: '*',
        fun: 'test.ping',
        username: 'saltdev',
        password: 'saltdev',
        eauth: 'pam',
      }),
    ).toEqual([{}]);
  });
});
