import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/main.js';
import { spawnCli } from '../support/cli-process.js';
import { captureIo, cliCleanups, eventually, type DemoConfig } from '../support/cli.js';
import { freePort } from '../support/net.js';

/**
 * The log file salt-api writes, `api_logfile` (default /var/log/salt/api under root_dir), at
 * `log_level_logfile`; `--log-file` and `--log-file-level` override them. One that cannot be opened
 * is a warning, not a failure, as in Salt.
 */

const { daemonOf, tempDir, onCleanup, demoConfig } = cliCleanups();

const PASSWORD = 'Pw-log-file-4b1d';

const messages = (text: string): string[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

/** A master config for a demo master run here; `extra(dir)` adds top-level lines, `rest` rest_cherrypy lines. */
const masterConfig = (extra: (dir: string) => string[], rest: string[] = []): Promise<DemoConfig> =>
  demoConfig({ prefix: 'salt-apid-api-log-', top: extra, rest });

describe('api_logfile', () => {
  it("gets the log's lines at log_level_logfile (warning by default), redacted, and is reopened", async () => {
    const { dir } = await masterConfig((d) => [`api_logfile: ${join(d, 'api')}`]);
    const path = join(dir, 'api');
    const { out, streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], streams));
    daemon.server.app.log.info('only for standard output');
    daemon.server.app.log.warn({ password: PASSWORD, creds: { token: PASSWORD } }, 'a warning');
    const text = await eventually(path, (t) => t.includes('a warning'));
    expect(messages(text)).toEqual(['a warning']);
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('"password":"[redacted]"');
    // Standard output keeps info, and has the same line.
    expect(out.log).toContain('salt-apid is listening');
    expect(out.log).toContain('only for standard output');
    const line = text.trim();
    expect(out.log.split('\n')).toContain(line);

    // logrotate moves the file away; SIGHUP; the next lines go to a fresh file.
    await rename(path, `${path}.1`);
    daemon.reopenLogs();
    daemon.server.app.log.error('after rotation');
    expect(messages(await eventually(path, (t) => t.includes('after rotation')))).toEqual(['after rotation']);
    expect(await readFile(`${path}.1`, 'utf8')).not.toContain('after rotation');
  });

  it('log_level and log_level_logfile set each level; -l wins for standard output only', async () => {
    const { dir } = await masterConfig((d) => [
      `api_logfile: ${join(d, 'api')}`,
      'log_level: error',
      'log_level_logfile: info',
    ]);
    const quiet = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir], quiet.streams));
    const text = await eventually(join(dir, 'api'), (t) => t.includes('salt-apid is listening'));
    expect(messages(text)).toContain('salt-apid is listening');
    daemon.server.app.log.warn('a warning');
    await eventually(join(dir, 'api'), (t) => t.includes('a warning'));
    expect(quiet.out.log).toBe('');
    await daemon.stop();

    const loud = captureIo();
    daemonOf(await runCli(['-c', dir, '-l', 'debug'], loud.streams));
    expect(loud.out.log).toContain('salt-apid is listening');
    // The file is written asynchronously: wait for the second start's line rather than read at once.
    const listening = (t: string): string[] => messages(t).filter((m) => m === 'salt-apid is listening');
    expect(listening(await eventually(join(dir, 'api'), (t) => listening(t).length >= 2))).toHaveLength(2);
  });

  it('--log-file and --log-file-level win over the config', async () => {
    const { dir } = await masterConfig((d) => [`api_logfile: ${join(d, 'api')}`, 'log_level_logfile: error']);
    const other = join(dir, 'other.log');
    const { streams } = captureIo();
    const daemon = daemonOf(await runCli(['-c', dir, '--log-file', other, '--log-file-level', 'debug'], streams));
    daemon.server.app.log.debug('a detail');
    const text = await eventually(other, (t) => t.includes('a detail'));
    expect(messages(text)).toEqual(expect.arrayContaining(['salt-apid is listening', 'a detail']));
    expect(existsSync(join(dir, 'api'))).toBe(false);
  });

  it('one that cannot be opened: one warning in Salt words, and salt-apid serves without it', async () => {
    const { dir, port } = await masterConfig((d) => [`api_logfile: ${join(d, 'missing', 'api')}`]);
    const { out, streams } = captureIo();
    daemonOf(await runCli(['-c', dir], streams));
    const path = join(dir, 'missing', 'api');
    const warnings = out.log.split('\n').filter((line) => line.includes('Failed to open log file'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: 40,
      msg: `Failed to open log file, do you have permission to write to ${path}?`,
      file: path,
      code: 'ENOENT',
    });
    expect(out.stderr).toBe('');
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);
  });

  it('--demo opens no log file of Salt default, only one it is given', async () => {
    const bare = captureIo();
    daemonOf(await runCli(['--demo', '--port', String(await freePort())], bare.streams));
    expect(bare.out.log).not.toContain('Failed to open log file');
    expect(bare.out.log).not.toContain('/var/log/salt/api');

    const dir = await tempDir('salt-apid-api-log-');
    const path = join(dir, 'demo.log');
    const given = captureIo();
    const daemon = daemonOf(
      await runCli(['--demo', '--port', String(await freePort()), '--log-file', path], given.streams),
    );
    daemon.server.app.log.warn('from the demo');
    expect(messages(await eventually(path, (t) => t.includes('from the demo')))).toEqual(['from the demo']);
  });
});

interface Line {
  pid: number;
  msg: string;
}

describe('api_logfile with workers', () => {
  it('the primary and every worker append to the one file, and SIGHUP to the primary reopens it in all', async () => {
    const { dir } = await masterConfig(
      (d) => [`api_logfile: ${join(d, 'api')}`, 'log_level_logfile: info'],
      ['session_store: cache', 'workers: 2'],
    );
    const path = join(dir, 'api');
    const proc = spawnCli(['-c', dir, '-l', 'warning']);
    onCleanup(async () => {
      proc.child.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill(), 10_000);
      await proc.exited;
      clearTimeout(timer);
    });
    const lines = (text: string): Line[] =>
      text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Line);
    const pidsSaying = (text: string, msg: string): Set<number> =>
      new Set(
        lines(text)
          .filter((line) => line.msg === msg)
          .map((line) => line.pid),
      );
    const primary = proc.child.pid!;
    const started = await eventually(path, (t) => pidsSaying(t, 'salt-apid is listening').size === 2);
    expect(pidsSaying(started, 'salt-apid workers started')).toEqual(new Set([primary]));
    expect(pidsSaying(started, 'salt-apid is listening').has(primary)).toBe(false);
    // Every line whole: appends from three processes never mix within a line.
    expect(() => lines(started)).not.toThrow();
    expect(proc.stdout).not.toContain('salt-apid is listening');

    await rename(path, `${path}.1`);
    proc.child.kill('SIGHUP');
    const reopened = await eventually(path, (t) => pidsSaying(t, 'log files reopened').size === 3);
    expect(pidsSaying(reopened, 'log files reopened').has(primary)).toBe(true);

    proc.child.kill('SIGTERM');
    expect((await proc.exited).code).toBe(0);
  }, 60_000);
});
