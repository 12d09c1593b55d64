import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Pam } from '../../src/salt/auth/pam.js';
import type { MasterSettings } from '../../src/config/types.js';
import { harness, type NetapiHarness } from '../support/clients.js';
import { fakeSaltSshFor, FAILED_HOST_KEYS, tempDirFor, type FakeRun, type FakeSaltSsh } from '../support/salt-ssh.js';

/**
 * The ssh client against the demo master and a stand-in salt-ssh that fires its per-host events
 * on the master's bus as the real one does (test/support/fake-salt-ssh.ts).
 */

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SSH: Partial<MasterSettings> = { netapiEnableClients: ['ssh', 'local'] };
const SALTDEV = { username: 'saltdev', password: 'saltdev', eauth: 'pam' };

const fake = (h: NetapiHarness, run: Omit<FakeRun, 'pullPath'>): Promise<FakeSaltSsh> =>
  fakeSaltSshFor(h, run, cleanups);

const tempDir = (): Promise<string> => tempDirFor('ssh-acl-', cleanups);

describe('ssh: what each host answered', () => {
  it("returns each host's result as salt-ssh reported it on the bus, a failed host with stdout, stderr and _error", async () => {
    const h = await harness({ settings: SSH });
    const unreachable = 'ssh: connect to host 10.0.0.9 port 22: Connection refused';
    const failed = {
      stdout: '',
      stderr: 'Traceback (most recent call last): ...',
      retcode: 1,
      parsed: null,
      _error: 'The command resulted in a non-zero exit code',
      id: 'host-3',
      fun: 'test.ping',
      fun_args: [],
      success: false,
      return: 'Traceback (most recent call last): ...',
    };
    await fake(h, {
      // What `salt-ssh --out=json --static` prints: the return of a host that answered, the stderr
      // of one it could not reach, the whole result of one whose command failed.
      stdout: JSON.stringify({ 'host-1': true, 'host-2': unreachable, 'host-3': failed }),
      exitCode: 11,
      events: {
        'host-1': { return: true, retcode: 0, id: 'host-1', fun: 'test.ping', fun_args: [], success: true },
        'host-2': { return: unreachable, id: 'host-2', fun: 'test.ping', fun_args: [], retcode: 255, success: false },
        'host-3': failed,
      },
    });
    const [result] = await h.netapi.run({ client: 'ssh', tgt: 'host-*', fun: 'test.ping', token: h.token });
    const stamp = '2026-11-25T21:00:00.000000';
    const jid = expect.stringMatching(/^\d{20}$/) as unknown;
    expect(result).toEqual({
      'host-1': {
        return: true,
        retcode: 0,
        id: 'host-1',
        fun: 'test.ping',
        fun_args: [],
        success: true,
        jid,
        _stamp: stamp,
      },
      'host-2': {
        stdout: '',
        stderr: unreachable,
        retcode: 255,
        parsed: null,
        _error: 'The command resulted in a non-zero exit code',
        return: unreachable,
        id: 'host-2',
        fun: 'test.ping',
        fun_args: [],
        success: false,
        jid,
        _stamp: stamp,
      },
      'host-3': { ...failed, jid, _stamp: stamp },
    });
    // In salt-api's order, as a real 3008 master's salt-api answered for an unreachable host.
    expect(Object.keys((result as Record<string, object>)['host-2'] ?? {})).toEqual(FAILED_HOST_KEYS);
  });

  it('without the events, builds the same fields from what salt-ssh printed', async () => {
    const h = await harness({ settings: SSH, tuning: { sshEventGraceMs: 200 } });
    await fake(h, {
      stdout: JSON.stringify({ 'host-1': 'pong', 'host-2': 'ssh: Could not resolve hostname host-2' }),
      exitCode: 0,
    });
    const [result] = await h.netapi.run({
      client: 'ssh',
      tgt: 'host-*',
      fun: 'test.echo',
      arg: ['pong'],
      token: h.token,
    });
    expect(result).toMatchObject({
      'host-1': { return: 'pong', retcode: 0, success: true, id: 'host-1', fun: 'test.echo', fun_args: ['pong'] },
      'host-2': {
        stdout: '',
        stderr: 'ssh: Could not resolve hostname host-2',
        retcode: 1,
        _error: 'The command resulted in a non-zero exit code',
        success: false,
        return: 'ssh: Could not resolve hostname host-2',
      },
    });
  });

  it('runs salt-ssh with the allow-listed options, dropping ProxyCommand', async () => {
    const h = await harness({ settings: SSH, tuning: { sshEventGraceMs: 200 } });
    const ssh = await fake(h, { stdout: '{"host-1": true}' });
    await h.netapi.run({
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
    expect(await ssh.argv()).toEqual([
      // salt-ssh reads the master configuration salt-apid was started with.
      `--config-dir=${dirname(h.settings.configFile ?? '')}`,
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
    expect(await ssh.saltfile()).toBeUndefined();
  });
});

describe('ssh: secrets stay off the command line', () => {
  it('hands ssh_passwd and ssh_priv_passwd over in a private Saltfile, deleted afterwards', async () => {
    const h = await harness({ settings: SSH });
    const ssh = await fake(h, { stdout: '{}' });
    await h.netapi.run({
      client: 'ssh',
      tgt: 'host-1',
      fun: 'test.ping',
      token: h.token,
      ssh_passwd: 'hunter2',
      ssh_priv_passwd: 'open sesame',
    });
    const argv = await ssh.argv();
    expect(argv.join('\n')).not.toMatch(/hunter2|open sesame|passwd/);
    const saltfileFlag = argv.find((arg) => arg.startsWith('--saltfile='));
    expect(saltfileFlag).toBeDefined();
    expect(existsSync(saltfileFlag?.slice('--saltfile='.length) ?? '/')).toBe(false);
    const copy = await ssh.saltfile();
    expect(copy?.mode).toBe('600');
    expect(copy?.text).toContain('salt-ssh:');
    expect(copy?.text).toContain('ssh_passwd: hunter2');
    expect(copy?.text).toContain('ssh_priv_passwd: open sesame');
  });

  it("never reads a chunk's saltfile, as salt-api never does: the secrets' copy is not based on it", async () => {
    const h = await harness({ settings: SSH });
    const dir = await tempDir();
    const base = join(dir, 'Saltfile');
    await writeFile(base, 'salt-ssh:\n  ssh_user: deploy\n  ssh_passwd: old\n');
    const ssh = await fake(h, { stdout: '{}' });
    await h.netapi.run({
      client: 'ssh',
      tgt: 'h',
      fun: 'test.ping',
      token: h.token,
      saltfile: base,
      ssh_passwd: 'new',
    });
    const argv = await ssh.argv();
    expect(argv.filter((arg) => arg.startsWith('--saltfile='))).toHaveLength(1);
    expect(argv.join('\n')).not.toContain(dir);
    const text = (await ssh.saltfile())?.text ?? '';
    expect(text).toContain('ssh_passwd: new');
    expect(text).not.toMatch(/deploy|old/);
  });
});

describe("ssh: a chunk's saltfile tells nothing about the master host's files", () => {
  it('answers as without it whatever it names (absent, a directory, a FIFO, a device, unreadable, not YAML, a usable Saltfile)', async () => {
    const h = await harness({ settings: SSH });
    const dir = await tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const write = async (name: string, text: string, mode = 0o644): Promise<string> => {
      const file = join(dir, name);
      await writeFile(file, text, { mode });
      return file;
    };
    const paths = [
      undefined,
      join(dir, 'absent', 'Saltfile'),
      dir,
      fifo,
      '/dev/null',
      await write('list', '- a\n- b\n'),
      await write('broken', 'salt-ssh: [unclosed\n'),
      await write('unreadable', 'not: [a mapping\n', 0o000),
      await write('usable', 'salt-ssh:\n  ssh_user: deploy\n'),
    ];
    const answers = new Set<string>();
    for (const saltfile of paths) {
      // With a secret, a private Saltfile is written: the one path on which a Saltfile is read at all.
      for (const secret of saltfile === undefined ? [{}, { ssh_passwd: 'pw' }] : [{ ssh_passwd: 'pw' }]) {
        const ssh = await fake(h, { stdout: '{}' });
        const answer = await h.netapi
          .run({ client: 'ssh', tgt: 'h', fun: 'test.ping', token: h.token, ...(saltfile && { saltfile }), ...secret })
          .then(
            (value) => `returned ${JSON.stringify(value)}`,
            (error: unknown) => `${(error as Error).name} ${(error as Error).message}`,
          );
        answers.add(answer);
        // salt-ssh never saw the path, nor anything read from it.
        const argv = await ssh.argv();
        expect(argv.join('\n')).not.toContain(dir);
        expect((await ssh.saltfile())?.text ?? '').not.toContain('deploy');
      }
    }
    expect([...answers]).toEqual(['returned [{}]']);
  });
});

describe('ssh: authorisation as NetapiClient._authorize_ssh', () => {
  async function aclSetup(acl: unknown[]): Promise<Partial<MasterSettings>> {
    const dir = await tempDir();
    await mkdir(join(dir, 'pki', 'minions'), { recursive: true });
    await writeFile(join(dir, 'pki', 'minions', 'web1'), 'key');
    await writeFile(join(dir, 'roster'), 'web1: 10.0.0.1\nweb2:\n  host: 10.0.0.2\ndb1: 10.0.0.3\n');
    return {
      ...SSH,
      externalAuth: { pam: { saltdev: acl } },
      pkiDir: join(dir, 'pki'),
      rosterFile: join(dir, 'roster'),
    };
  }

  it('checks target-restricted ACL entries against roster hosts and accepted minions', async () => {
    const h = await harness({ settings: await aclSetup([{ 'web*': ['test.*'] }]) });
    await fake(h, { stdout: '{}' });
    const run = (tgt: string) => h.netapi.run({ client: 'ssh', tgt, fun: 'test.ping', ...SALTDEV });
    // web1 has an accepted key the ACL's target names; web2 and db1 are roster hosts only.
    await expect(run('web1')).resolves.toEqual([{}]);
    await expect(run('web*')).rejects.toMatchObject({ kind: 'auth', message: 'Authorization error occurred.' });
    await expect(run('db1')).rejects.toMatchObject({ kind: 'auth', message: 'Authorization error occurred.' });
    await expect(run('nothing-matches')).resolves.toEqual([{}]);
  });

  it("grants a '*' target on any host, and plain function entries everywhere", async () => {
    for (const acl of [[{ '*': ['test.*'] }], ['test.ping']]) {
      const h = await harness({ settings: await aclSetup(acl) });
      await fake(h, { stdout: '{}' });
      await expect(h.netapi.run({ client: 'ssh', tgt: 'db1', fun: 'test.ping', ...SALTDEV })).resolves.toEqual([{}]);
      await expect(
        h.netapi.run({ client: 'ssh', tgt: 'db1', fun: 'cmd.run', arg: ['id'], ...SALTDEV }),
      ).rejects.toMatchObject({ kind: 'auth' });
    }
  });

  it('answers 401 before 501, and for a token the master does not know', async () => {
    const h = await harness({ settings: SSH });
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    cleanups.push(() => {
      process.env['PATH'] = path;
    });
    for (const credentials of [
      { username: 'saltdev', password: 'wrong', eauth: 'pam' },
      { token: 'f'.repeat(64) },
      { token: 7 },
      { username: 'nobody', password: 'x', eauth: 'auto' },
      { username: 'saltdev', password: 'saltdev', eauth: 'not-configured' },
    ]) {
      await expect(h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', ...credentials })).rejects.toMatchObject({
        kind: 'auth',
      });
    }
    await expect(h.netapi.run({ client: 'ssh', tgt: '*', fun: 'test.ping', token: h.token })).rejects.toMatchObject({
      kind: 'not-implemented',
      message: expect.stringContaining('salt-ssh is not installed on this host'),
    });
  });
});

describe('ssh: credentials without a token per call', () => {
  it('asks the master once per set of credentials, then reuses the token it minted', async () => {
    const h = await harness({ settings: SSH });
    await fake(h, { stdout: '{}' });
    for (let i = 0; i < 3; i++) await h.netapi.run({ client: 'ssh', tgt: 'h', fun: 'test.ping', ...SALTDEV });
    expect(h.loads.filter((load) => load['cmd'] === 'mk_token')).toHaveLength(1);
    // Another password is other credentials: asked again (and refused).
    await expect(
      h.netapi.run({ client: 'ssh', tgt: 'h', fun: 'test.ping', ...SALTDEV, password: 'other' }),
    ).rejects.toMatchObject({ kind: 'auth' });
    expect(h.loads.filter((load) => load['cmd'] === 'mk_token')).toHaveLength(2);
  });

  it('checks eauth pam in this process when PAM is there: no request to the master at all', async () => {
    const calls: Array<[string, string, string]> = [];
    const pam: Pam = {
      authenticate: (user, password, service) => {
        calls.push([user, password, service]);
        return Promise.resolve(user === 'alice' && password === 'wonderland');
      },
      groups: () => Promise.resolve(['ops']),
    };
    const h = await harness({
      settings: { ...SSH, externalAuth: { pam: { 'ops%': ['test.*'] } }, pamService: 'salt-api' },
      pam: { pam },
    });
    await fake(h, { stdout: '{}' });
    const alice = { username: 'alice', password: 'wonderland', eauth: 'pam' };
    await expect(h.netapi.run({ client: 'ssh', tgt: 'h', fun: 'test.ping', ...alice })).resolves.toEqual([{}]);
    await expect(
      h.netapi.run({ client: 'ssh', tgt: 'h', fun: 'test.ping', ...alice, password: 'x' }),
    ).rejects.toMatchObject({
      kind: 'auth',
      message: 'Authentication failure of type "eauth" occurred for user alice.',
    });
    await expect(
      h.netapi.run({ client: 'ssh', tgt: 'h', fun: 'test.ping', username: 'alice', eauth: 'pam' }),
    ).rejects.toMatchObject({ kind: 'auth' });
    expect(calls).toEqual([
      ['alice', 'wonderland', 'salt-api'],
      ['alice', 'x', 'salt-api'],
    ]);
    expect(h.loads.filter((load) => load['cmd'] === 'mk_token' || load['cmd'] === 'get_token')).toEqual([]);
  });
});
