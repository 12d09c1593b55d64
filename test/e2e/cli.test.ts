import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_OK, EXIT_USAGE, runCli } from '../../src/main.js';
import { freePort } from '../support/net.js';
import { captureIo, cliCleanups } from '../support/cli.js';

const { daemonOf, tempDir, demoConfig } = cliCleanups();

describe('salt-apid command line', () => {
  it('prints usage with --help and exits 0', async () => {
    const { out, streams } = captureIo();
    await expect(runCli(['--help'], streams)).resolves.toEqual({ exitCode: EXIT_OK });
    expect(out.stdout).toContain('--demo');
    expect(out.stdout).toContain('--log-file FILE');
  });

  it('prints the manual as a roff man page with --man and exits 0', async () => {
    const { out, streams } = captureIo();
    await expect(runCli(['--man'], streams)).resolves.toEqual({ exitCode: EXIT_OK });
    expect(out.stdout).toMatch(/^\.\\" salt-apid\(1\)/);
    expect(out.stdout).toMatch(/^\.TH SALT-APID 1 /m);
    expect(out.stdout).toContain('\\fB\\-\\-log\\-file\\fR \\fIFILE\\fR');
    expect(out.stderr).toBe('');
  });

  it('refuses an unknown option with one line and exit code 2', async () => {
    const { out, streams } = captureIo();
    await expect(runCli(['--bogus'], streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toBe("salt-apid: Unknown option '--bogus' (see --help)\n");
  });

  it('names a missing config file and exits 2', async () => {
    const dir = await tempDir('salt-apid-cli-');
    const { out, streams } = captureIo();
    await expect(runCli(['--config', join(dir, 'nope')], streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr).toContain(join(dir, 'nope'));
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('names the file and the key of an invalid option and exits 2', async () => {
    const dir = await tempDir('salt-apid-cli-');
    await writeFile(join(dir, 'master'), 'rest_cherrypy:\n  port: eighty\n');
    const { out, streams } = captureIo();
    await expect(runCli(['-c', dir], streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
    expect(out.stderr).toContain(join(dir, 'master'));
    expect(out.stderr).toContain('rest_cherrypy.port');
  });

  it('--demo serves the welcome document against the built-in demo master', async () => {
    const port = await freePort();
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['--demo', '--port', String(port)], streams));
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(
      '{"return": "Welcome", "clients": ["destroy", "local", "local_async", "local_batch", "local_subset", "runner", "runner_async", "ssh", "wheel", "wheel_async"]}',
    );
    expect(daemon.demo?.minionIds.length).toBeGreaterThan(0);
    await daemon.server.master.bus.waitConnected(2_000);
    expect(out.log).toContain('salt-apid is listening');
  });

  it('--demo --minions N simulates a fleet of N minions', async () => {
    const port = await freePort();
    const { streams } = captureIo();
    const daemon = daemonOf(await runCli(['--demo', '--minions', '300', '--port', String(port)], streams));
    expect(daemon.demo?.minionIds).toHaveLength(300);
    expect(daemon.demo?.minionIds).toContain('minion-300');
  });

  it('serves a master described by a master config file (interface, ret_port, sock_dir)', async () => {
    const { dir, base } = await demoConfig({
      prefix: 'salt-apid-cli-',
      top: (d) => [`api_logfile: ${join(d, 'api.log')}`],
    });
    const { streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], streams));
    await daemon.server.master.bus.waitConnected(2_000);
    await expect(daemon.server.master.commands.ping({ via: 'config' })).resolves.toEqual({
      cmd: 'ping',
      via: 'config',
    });
    expect((await fetch(`${base}/`)).status).toBe(200);
  });
});
