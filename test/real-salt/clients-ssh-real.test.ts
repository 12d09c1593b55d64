import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness, type NetapiHarness } from '../support/clients.js';
import { FAILED_HOST_KEYS } from '../support/salt-ssh.js';

/**
 * The ssh client against a real `salt-ssh` (`npm run test:salt-ssh`, not part of `npm test`: it
 * needs Salt installed): SALT_SSH names the program (it must be called `salt-ssh`; a wrapper
 * around a Salt checkout will do), and every test fails without it rather than skip. salt-ssh runs with a
 * master configuration of the test's own whose sock_dir is the demo master's, so the per-host
 * events it fires arrive on the demo bus as they would on a real master's. No sshd is needed:
 * the cases are the ones where ssh itself fails (Salt's CVE-2020-16846 shell-injection set), on
 * a port nothing listens on, and salt-ssh failing before any host.
 */

const SALT_SSH = process.env['SALT_SSH'];
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A master config for salt-ssh under a temporary root_dir, sharing the demo master's sock_dir. */
async function realSaltSsh(options: { roster: boolean }): Promise<{ h: NetapiHarness; dir: string }> {
  if (SALT_SSH === undefined || basename(SALT_SSH) !== 'salt-ssh') throw new Error('SALT_SSH must name a salt-ssh');
  const dir = await mkdtemp(join(tmpdir(), 'real-salt-ssh-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const conf = join(dir, 'conf');
  const root = join(dir, 'root');
  await mkdir(conf);
  // Inside root_dir, or Salt would put root_dir in front of it.
  const sockDir = join(root, 'run');
  const h = await harness({
    demo: { sockDir },
    settings: { netapiEnableClients: ['ssh'], configFile: join(conf, 'master') },
  });
  await writeFile(
    join(conf, 'master'),
    [
      `root_dir: ${root}`,
      `sock_dir: ${sockDir}`,
      // Salt drops a sock_dir more than 10 characters longer than cachedir (as written, before
      // root_dir goes in front of it) for one under cachedir: name a cachedir as long.
      `cachedir: ${join(root, 'var', 'cache', 'salt', 'master')}`,
      `user: ${userInfo().username}`,
      '',
    ].join('\n'),
  );
  // Salt's own suite keeps its roster beside the master config, where salt-ssh looks by default.
  if (options.roster) await writeFile(join(conf, 'roster'), 'localhost:\n  host: 127.0.0.1\n  port: 9\n');
  const path = process.env['PATH'];
  process.env['PATH'] = `${dirname(SALT_SSH)}${delimiter}${path ?? ''}`;
  cleanups.push(() => {
    process.env['PATH'] = path;
  });
  return { h, dir };
}

const AUTO = { username: 'autouser', password: 'anything', eauth: 'auto' };

describe('ssh against a real salt-ssh (SALT_SSH)', () => {
  it.each([
    ['tgt', (path: string) => ({ tgt: `root|id>${path} #@127.0.0.1`, ignore_host_keys: true })],
    // salt-ssh makes a key pair where ssh_priv points when nothing is there (relative to its working
    // directory in Salt's form, `aaa|id>...`): here inside the test's own directory.
    [
      'ssh_priv',
      (path: string) => ({ tgt: '127.0.0.1', ssh_priv: `${dirname(path)}/aaa|id>${path} #`, ignore_host_keys: true }),
    ],
    [
      'ssh_options',
      (path: string) => ({ tgt: '127.0.0.1', renderer: 'jinja|yaml', ssh_options: [`|id>${path} #`, 'lol'] }),
    ],
    ['ssh_port', (path: string) => ({ tgt: '127.0.0.1', renderer: 'jinja|yaml', ssh_port: `hhhhh|id>${path} #` })],
    [
      'remote_port_forwards',
      (path: string) => ({
        tgt: '127.0.0.1',
        renderer: 'jinja|yaml',
        ssh_remote_port_forwards: `hhhhh|id>${path} #, lol`,
        ignore_host_keys: true,
      }),
    ],
  ])(
    'CVE-2020-16846 %s: no command runs, the host comes back failed as salt-api answers it',
    async (_name, chunk) => {
      const { h, dir } = await realSaltSsh({ roster: true });
      const path = join(dir, 'injected');
      const [result] = await h.netapi.run({
        client: 'ssh',
        roster: 'cache',
        fun: 'test.ping',
        roster_file: join(dir, 'conf', 'roster'),
        rosters: '/',
        ...AUTO,
        ...chunk(path),
      });
      expect(existsSync(path)).toBe(false);
      const host = (result as Record<string, Record<string, unknown>>)['127.0.0.1'];
      expect(Object.keys(host ?? {})).toEqual(FAILED_HOST_KEYS);
      expect(host).toMatchObject({ stdout: '', retcode: 255, success: false, id: '127.0.0.1', fun: 'test.ping' });
      expect(host?.['stderr']).toBeTruthy();
      expect(host?.['return']).toBe(host?.['stderr']);
    },
    120_000,
  );

  it("answers salt-api's 500 (not {}) when salt-ssh fails before any host: no roster", async () => {
    const { h } = await realSaltSsh({ roster: false });
    await expect(
      h.netapi.run({ client: 'ssh', roster: 'cache', tgt: '127.0.0.1', fun: 'test.ping', ...AUTO }),
    ).rejects.toMatchObject({
      name: 'SaltSshFailedError',
      kind: 'bad-reply',
      message: expect.stringContaining('not found') as unknown,
    });
  }, 120_000);
});
