import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConfigDir as configDir, goodConfigText, identityOf, runCheck } from '../support/check-config.js';
import { KNOWN_OPTIONS } from '../../src/config/rest-settings.js';
import { loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('--check-config: a configuration a start accepts', () => {
  it('is OK with no problem, and prints the effective settings', async () => {
    const dir = configDir();
    const check = await runCheck(dir);
    expect(check.stderr).toBe(`salt-apid: ${join(dir, 'master')}: configuration OK\n`);
    expect(check.ok).toBe(true);
    expect(check.stdout).toContain(`# salt-apid --check-config: ${join(dir, 'master')}`);
    expect(check.stdout).toContain('  port: 8000\n');
  });

  it('writes nothing: the log files it checks are not created', async () => {
    const dir = configDir({ rest: (d) => [`log_access_file: ${join(d, 'access.log')}`] });
    const before = readdirSync(dir).sort();
    expect((await runCheck(dir)).ok).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(existsSync(join(dir, 'api.log'))).toBe(false);
  });
});

describe('--check-config: what a start refuses, every problem told', () => {
  it('lists each refused value, not only the first, and shows the others at their defaults', async () => {
    const dir = configDir({ top: () => ['ret_port: 0', 'ipc_mode: pipe'], rest: () => ['debug: maybe'] });
    const check = await runCheck(dir);
    expect(check.ok).toBe(false);
    const file = join(dir, 'master');
    expect(check.errors).toEqual([
      `${file}: ret_port: must be an integer between 1 and 65535, got 0`,
      `${file}: ipc_mode: must be one of ipc, tcp, got "pipe"`,
      `${file}: rest_cherrypy.debug: must be true or false, got "maybe"`,
    ]);
    expect(check.stdout).toContain('# Refused (see the errors), shown at their defaults instead: ret_port, ipc_mode');
    expect(check.stdout).toContain('ret_port: 4506\n');
  });

  it('a port out of range, and a missing port, each once', async () => {
    const dir = configDir({ rest: () => ['port: 70000'] });
    const check = await runCheck(dir);
    expect(check.errors).toEqual([
      `${join(dir, 'master')}: rest_cherrypy.port: must be an integer between 1 and 65535, got 70000`,
    ]);
    writeFileSync(join(dir, 'master'), goodConfigText(dir).replace('  port: 8000\n', ''));
    expect((await runCheck(dir)).errors).toEqual([
      `${join(dir, 'master')}: rest_cherrypy.port is required (salt-api serves nothing without it)`,
    ]);
  });

  it('a main file that cannot be read: that error alone, and no settings', async () => {
    const dir = writeConfigTree({});
    const check = await runCheck(dir);
    expect(check.errors).toEqual([`${join(dir, 'master')}: no such file`]);
    expect(check.stdout).toBe('');
  });

  it('every refused webhooks rule, where the start stops at the first', async () => {
    const dir = configDir({
      rest: () => [
        'webhooks:',
        "  - {path: 'github/*', auth: github}",
        "  - {path: 'ci/*', auth: token, secret: ok-secret-1}",
        "  - {path: 'gitlab/*', auth: gitlab, secret_file: /nonexistent/secret}",
      ],
    });
    const check = await runCheck(dir);
    const head = `${join(dir, 'master')}: rest_cherrypy.webhooks`;
    expect(check.errors).toEqual([
      `${head}: rule 1: auth github needs secret or secret_file`,
      `${head}: rule 3: secret_file /nonexistent/secret cannot be read (ENOENT)`,
    ]);
  });

  it('ssl_crt and ssl_key: each missing file, and files that hold no PEM', async () => {
    const dir = configDir();
    const tls = (crt: string, key: string) =>
      goodConfigText(dir, { rest: ['disable_ssl: false', `ssl_crt: ${crt}`, `ssl_key: ${key}`] });
    writeFileSync(join(dir, 'master'), tls(join(dir, 'no.crt'), join(dir, 'no.key')));
    const missing = await runCheck(dir);
    expect(missing.errors).toHaveLength(2);
    expect(missing.errors[0]).toContain(`Could not find a certificate ${join(dir, 'no.crt')} (ssl_crt)`);
    expect(missing.errors[1]).toContain(`Could not find a private key ${join(dir, 'no.key')} (ssl_key)`);
    writeFileSync(join(dir, 'api.crt'), 'not a certificate\n');
    writeFileSync(join(dir, 'master'), tls(join(dir, 'api.crt'), join(dir, 'api.crt')));
    expect((await runCheck(dir)).errors).toEqual([
      `${join(dir, 'master')}: ${join(dir, 'api.crt')} (ssl_crt) holds no PEM certificate`,
    ]);
  });

  it('TLS on without ssl_crt and ssl_key, and a cipher list OpenSSL does not know', async () => {
    const dir = configDir({ rest: () => ['disable_ssl: false'] });
    expect((await runCheck(dir)).errors).toEqual([
      `${join(dir, 'master')}: Options 'ssl_crt' and 'ssl_key' are required if SSL is not disabled (disable_ssl)`,
    ]);
    writeFileSync(join(dir, 'master'), goodConfigText(dir, { rest: ['ssl_ciphers: NOT-A-CIPHER'] }));
    const [error] = (await runCheck(dir)).errors;
    expect(error).toMatch(/: Invalid ssl_ciphers "NOT-A-CIPHER": /);
  });

  it('a sock_dir that does not exist is an error; one without the bus socket a warning', async () => {
    const dir = configDir({ top: (d) => [`sock_dir: ${join(d, 'nowhere')}`] });
    const check = await runCheck(dir);
    expect(check.errors).toEqual([
      expect.stringMatching(
        new RegExp(`^${join(dir, 'master')}: sock_dir: ${join(dir, 'nowhere')} does not exist: the master's event bus`),
      ),
    ]);
    mkdirSync(join(dir, 'nowhere'));
    const idle = await runCheck(dir);
    expect(idle.ok).toBe(true);
    expect(idle.warnings).toEqual([expect.stringContaining(`no ${join(dir, 'nowhere', 'master_event_pub.ipc')}`)]);
  });

  it('ipc_mode: tcp does not use sock_dir', async () => {
    const dir = configDir({ top: (d) => [`sock_dir: ${join(d, 'nowhere')}`, 'ipc_mode: tcp'] });
    expect((await runCheck(dir)).ok).toBe(true);
  });

  it('static, app and favicon that are not there', async () => {
    const dir = configDir({
      rest: (d) => [`static: ${join(d, 'static')}`, `app: ${join(d, 'index.html')}`, `favicon: ${d}`],
    });
    const file = join(dir, 'master');
    expect((await runCheck(dir)).errors).toEqual([
      `${file}: rest_cherrypy.static: ${join(dir, 'static')} does not exist: every request for it would get 404`,
      `${file}: rest_cherrypy.app: ${join(dir, 'index.html')} does not exist: every request for it would get 404`,
      `${file}: rest_cherrypy.favicon: ${dir} is a directory, not a file: every request for it would get 404`,
    ]);
  });

  it('a metrics_token_file a start could not use is an error; a short token a warning', async () => {
    const dir = configDir({ rest: (d) => [`metrics_token_file: ${join(d, 'scrape.token')}`] });
    const file = join(dir, 'master');
    expect((await runCheck(dir)).errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${file}: rest_cherrypy.metrics_token_file: Cannot use .*scrape.token \\(metrics_token_file\\): ENOENT`,
        ),
      ),
    ]);
    writeFileSync(join(dir, 'scrape.token'), 'short\n');
    const short = await runCheck(dir);
    expect(short.ok).toBe(true);
    expect(short.warnings).toContainEqual(expect.stringContaining('metrics_token_file: the token is shorter than 16'));
    writeFileSync(join(dir, 'scrape.token'), 'a-scrape-token-long-enough-to-use\n');
    const good = await runCheck(dir);
    expect(good.warnings.join('\n')).not.toContain('metrics_token_file');
    expect(JSON.stringify(good)).not.toContain('a-scrape-token-long-enough-to-use');
  });

  it('log_access_file, log_error_file and log_audit_file that cannot be opened stop a start; api_logfile is a warning', async () => {
    const dir = configDir({
      top: (d) => [`api_logfile: ${join(d, 'logs', 'api')}`],
      rest: (d) => [
        `log_access_file: ${join(d, 'logs', 'access')}`,
        `log_error_file: ${d}`,
        `log_audit_file: ${join(d, 'logs', 'audit')}`,
      ],
    });
    const check = await runCheck(dir);
    const file = join(dir, 'master');
    expect(check.errors).toEqual([
      `${file}: rest_cherrypy.log_access_file: ${join(dir, 'logs', 'access')} cannot be created: its directory ${join(dir, 'logs')} does not exist: salt-apid would refuse to start`,
      `${file}: rest_cherrypy.log_error_file: ${dir} is a directory, not a file: salt-apid would refuse to start`,
      `${file}: rest_cherrypy.log_audit_file: ${join(dir, 'logs', 'audit')} cannot be created: its directory ${join(dir, 'logs')} does not exist: salt-apid would refuse to start`,
    ]);
    expect(check.warnings).toEqual([
      `${file}: api_logfile: ${join(dir, 'logs', 'api')} cannot be created: its directory ${join(dir, 'logs')} does not exist: salt-apid would run without its log file`,
    ]);
  });

  it('user: unknown is an error; one this process cannot become, a warning', async () => {
    const unknown = configDir({ top: () => ['user: nosuchuser'] });
    expect((await runCheck(unknown)).errors).toEqual([
      `${join(unknown, 'master')}: user: no such user "nosuchuser" on this system`,
    ]);
    const salt = configDir({ top: () => ['user: salt'] });
    expect((await runCheck(salt)).ok).toBe(true);
    const asAlice = await runCheck(salt, [], identityOf({ user: 'alice', euid: 1000 }));
    expect(asAlice.ok).toBe(true);
    expect(asAlice.warnings).toEqual([
      expect.stringMatching(/unable to switch\. A start by alice would fail \(exit 1\)/),
    ]);
  });

  it('workers without shared sessions, as the start refuses it', async () => {
    const dir = configDir({ rest: () => ['workers: 2'] });
    expect((await runCheck(dir)).errors).toEqual([
      `${join(dir, 'master')}: rest_cherrypy.workers: 2 needs session_store: cache (with the localfs or redis cache), so that every worker knows every session`,
    ]);
  });

  it('the --port and --host of the command line win, as in a start', async () => {
    const dir = configDir({ rest: () => ['port: 0', 'host: not a host'] });
    const check = await runCheck(dir, ['--port', '8123', '--host', '127.0.0.2']);
    expect(check.ok).toBe(true);
    expect(check.stdout).toContain('  port: 8123\n');
    expect(check.stdout).toContain('  host: 127.0.0.2\n');
  });
});

describe('--check-config: the effective settings', () => {
  it('hold every rest_cherrypy option the start reads (queue_size as socket_queue_size), defaults included', async () => {
    const dir = configDir();
    const check = await runCheck(dir, ['--out', 'json']);
    const report = JSON.parse(check.stdout) as { settings: Record<string, unknown> };
    const rest = report.settings['rest_cherrypy'] as Record<string, unknown>;
    expect(Object.keys(rest).sort()).toEqual([...KNOWN_OPTIONS].filter((key) => key !== 'queue_size').sort());
    expect(rest['ssl_crt']).toBeNull();
    expect(rest['max_sessions']).toBe(10_000);
    expect(report.settings['sock_dir']).toBe(join(dir, 'sock'));
  });

  it('print an integer past 2**53 in the JSON report as its digits', async () => {
    const dir = configDir({ top: () => ['external_auth: {pam: {saltdev: [.*, 123456789012345678901]}}'] });
    const report = JSON.parse((await runCheck(dir, ['--out', 'json'])).stdout) as { settings: Record<string, unknown> };
    expect(report.settings['external_auth']).toEqual({ pam: { saltdev: ['.*', '123456789012345678901'] } });
  });
});

describe('the start itself', () => {
  it('does not quote the value of a secret option it refuses', () => {
    const dir = writeConfigTree({ master: 'cache.redis.password: 123456789\nrest_cherrypy: {port: 8000}\n' });
    expect(() => loadConfig(dir)).toThrow(
      `${join(dir, 'master')}: cache.redis.password: must be a string, got a value not shown (a secret)`,
    );
  });
});
