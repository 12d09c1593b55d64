import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from '../../src/config/cli-args.js';
import { ConfigError } from '../../src/config/errors.js';
import { listenHostProblem } from '../../src/config/listen-host.js';
import { loadSettings } from '../../src/config/load.js';
import { EXIT_USAGE, runCli } from '../../src/main.js';
import { captureIo } from '../support/cli.js';
import { freePort } from '../support/net.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function masterWithHost(host: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'salt-apid-host-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'master'), `rest_cherrypy:\n  port: 8000\n  host: ${JSON.stringify(host)}\n`);
  return join(dir, 'master');
}

const BAD_HOSTS = ['http://0.0.0.0', '0.0.0.0:8000', 'two words', '[::1]', 'bad_host', '-x', 'a..b', 'x'.repeat(64)];

describe('listen host', () => {
  it.each(['0.0.0.0', '127.0.0.1', '::', '::1', 'fe80::1%lo', 'localhost', 'salt.example.com', 'salt-1.example.com.'])(
    'accepts %s',
    (host) => expect(listenHostProblem(host)).toBeUndefined(),
  );

  it.each(BAD_HOSTS)('refuses %j in the config file with one line naming rest_cherrypy.host', (host) => {
    const file = masterWithHost(host);
    let error: unknown;
    try {
      loadSettings({ configFile: file });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('rest_cherrypy.host');
    expect((error as Error).message).not.toContain('\n');
  });

  it.each(BAD_HOSTS)('refuses --host %j as a usage error', (host) => {
    expect(() => parseCliArgs(['--demo', `--host=${host}`])).toThrow(CliUsageError);
    expect(() => parseCliArgs(['--demo', `--host=${host}`])).toThrow(/--host must be an IP address or a host name/);
  });

  it('exits 2 with one line naming the option for a bad host in the file or on the command line', async () => {
    for (const argv of [
      ['--config', masterWithHost('http://0.0.0.0')],
      ['--demo', '--host', '0.0.0.0:8000'],
    ]) {
      const { out, streams } = captureIo();
      await expect(runCli(argv, streams)).resolves.toEqual({ exitCode: EXIT_USAGE });
      expect(out.stderr.trim().split('\n')).toHaveLength(1);
      expect(out.stderr).toMatch(/host/);
    }
  });

  it('exits 2 naming the option when the host is not an address of this machine', async () => {
    const { out, streams } = captureIo();
    const port = String(await freePort());
    await expect(runCli(['--demo', '--host', '192.0.2.1', '--port', port], streams)).resolves.toEqual({
      exitCode: EXIT_USAGE,
    });
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toContain('rest_cherrypy.host (or --host) "192.0.2.1" cannot be listened on: EADDRNOTAVAIL');
  });
});
