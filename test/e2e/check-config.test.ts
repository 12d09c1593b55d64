import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadYaml } from '../../src/python/yaml11.js';
import { spawnCli } from '../support/cli-process.js';
import { cliCleanups } from '../support/cli.js';
import { goodConfigText, problemLines } from '../support/check-config.js';

const { tempDir, onCleanup } = cliCleanups();

/** A server on `path` (a unix socket) or on a free loopback port, counting the connections it gets. */
async function listening(path?: string): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) =>
    path === undefined ? server.listen(0, '127.0.0.1', resolve) : server.listen(path, resolve),
  );
  onCleanup(() => new Promise((resolve) => server.close(() => resolve())));
  const address = server.address();
  return { port: typeof address === 'object' && address !== null ? address.port : 0, connections: () => count };
}

/** `salt-apid --check-config <args>` as its own process: its exit code and what it printed. */
async function checkConfig(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawnCli(['--check-config', ...args]);
  onCleanup(async () => proc.kill());
  const { code } = await proc.exited;
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

describe('salt-apid --check-config', () => {
  it('a good config: exit 0, the effective settings as YAML, and nothing connected to, listened on or written', async () => {
    const dir = await tempDir('salt-apid-check-');
    // The master's request port and event bus, listening: the check must not reach them.
    const ret = await listening();
    const sockDir = join(dir, 'sock');
    await mkdir(sockDir);
    const pub = await listening(join(sockDir, 'master_event_pub.ipc'));
    const held = await listening();
    const text = goodConfigText(dir, {
      top: [`ret_port: ${ret.port}`, 'interface: 127.0.0.1'],
      rest: [`port: ${held.port}`, `log_access_file: ${join(dir, 'access.log')}`],
    });
    await writeFile(join(dir, 'master'), text);
    const before = (await readdir(dir)).sort();

    const { code, stdout, stderr } = await checkConfig(['-c', dir]);
    expect(stderr).toBe(`salt-apid: ${join(dir, 'master')}: configuration OK\n`);
    expect(code).toBe(0);
    const settings = loadYaml(stdout) as Record<string, unknown> & { rest_cherrypy: Record<string, unknown> };
    expect(settings['ret_port']).toBe(ret.port);
    expect(settings['sock_dir']).toBe(sockDir);
    expect(settings.rest_cherrypy['port']).toBe(held.port);
    expect(settings.rest_cherrypy['shutdown_timeout']).toBe(10);
    expect(settings.rest_cherrypy['log_access_file']).toBe(join(dir, 'access.log'));
    expect(ret.connections() + pub.connections() + held.connections()).toBe(0);
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('a bad config: exit 2, one line per problem, every problem', async () => {
    const dir = await tempDir('salt-apid-check-');
    const text = goodConfigText(dir, {
      top: [`sock_dir: ${join(dir, 'missing')}`],
      rest: [
        'prot: 8001',
        'port: 70000',
        'disable_ssl: false',
        `ssl_crt: ${join(dir, 'api.crt')}`,
        `ssl_key: ${join(dir, 'api.key')}`,
        'webhooks:',
        "  - {path: 'ci/*', auth: token}",
      ],
    });
    await writeFile(join(dir, 'master'), text);
    const { code, stdout, stderr } = await checkConfig(['--config', join(dir, 'master')]);
    expect(code).toBe(2);
    const file = join(dir, 'master');
    expect(problemLines(stderr, 'error')).toEqual([
      `${file}: unknown key 'prot' under rest_cherrypy, which salt-apid (like salt-api) ignores; did you mean 'port'?`,
      `${file}: rest_cherrypy.port: must be an integer between 1 and 65535, got 70000`,
      `${file}: rest_cherrypy.webhooks: rule 1: auth token needs secret or secret_file`,
      expect.stringContaining(`${file}: Could not find a certificate ${join(dir, 'api.crt')} (ssl_crt)`),
      expect.stringContaining(`${file}: Could not find a private key ${join(dir, 'api.key')} (ssl_key)`),
      expect.stringContaining(`${file}: sock_dir: ${join(dir, 'missing')} does not exist`),
    ]);
    expect(stderr.trimEnd().split('\n').at(-1)).toBe(
      `salt-apid: ${file}: 6 errors, 0 warnings: a start would refuse it or not do what it says`,
    );
    expect(stdout).toContain(
      '# Refused (see the errors), shown at their defaults instead: rest_cherrypy.port, rest_cherrypy.webhooks',
    );
  });

  it('--demo checks the demo config, its secrets masked; --out json', async () => {
    const { code, stdout, stderr } = await checkConfig(['--demo', '--out', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      ok: boolean;
      errors: string[];
      settings: { rest_cherrypy: Record<string, unknown> };
    };
    expect(report.ok).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.settings.rest_cherrypy['event_hub']).toEqual({ token: '********', allowed_tags: null });
    expect(stdout).not.toContain('demo-github-secret');
    expect(stdout).not.toContain('demo-event-hub-token');
  });

  it('--out without --check-config, or an unknown format, is a usage error', async () => {
    const proc = spawnCli(['--demo', '--out', 'json']);
    onCleanup(async () => proc.kill());
    expect((await proc.exited).code).toBe(2);
    expect(proc.stderr).toBe('salt-apid: --out only goes with --check-config (see --help)\n');
    const { code, stderr } = await checkConfig(['--demo', '--out', 'xml']);
    expect(code).toBe(2);
    expect(stderr).toBe('salt-apid: --out must be yaml or json, got "xml" (see --help)\n');
  });
});
