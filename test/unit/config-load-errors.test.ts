import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadSettings errors name the file and the key', () => {
  it('a missing config file', () => {
    const dir = writeConfigTree({});
    const error = configError(() => loadConfig(dir));
    expect(error.message).toBe(`${join(dir, 'master')}: no such file`);
    expect(error.file).toBe(join(dir, 'master'));
  });

  it('invalid YAML and a document that is not a mapping', () => {
    const broken = writeConfigTree({ master: 'rest_cherrypy: [\n' });
    expect(configError(() => loadConfig(broken)).message).toMatch(/master: invalid YAML: .*line \d+/);
    const list = writeConfigTree({ master: '- a\n- b\n' });
    expect(configError(() => loadConfig(list)).message).toBe(
      `${join(list, 'master')}: must be a YAML mapping of options, not a list`,
    );
  });

  it('no rest_cherrypy section, or no port in it', () => {
    const none = writeConfigTree({ master: 'timeout: 3\n' });
    const error = configError(() => loadConfig(none));
    expect(error.message).toBe(
      `${join(none, 'master')}: rest_cherrypy.port is required (salt-api serves nothing without it)`,
    );
    expect(error.key).toBe('rest_cherrypy.port');
    const noPort = writeConfigTree({ master: 'rest_cherrypy:\n  host: 127.0.0.1\n' });
    expect(configError(() => loadConfig(noPort)).key).toBe('rest_cherrypy.port');
  });

  it('a port that is not an integer in range', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy:\n  port: abc\n' });
    expect(configError(() => loadConfig(dir)).message).toBe(
      `${join(dir, 'master')}: rest_cherrypy.port: must be an integer between 1 and 65535, got "abc"`,
    );
    expect(
      configError(() => loadConfig(writeConfigTree({ master: 'rest_cherrypy: {port: 70000}\n' }))).message,
    ).toContain('got 70000');
  });

  it('names the included file that set the bad value', () => {
    const dir = writeConfigTree({
      master: 'rest_cherrypy: {port: 8000}\n',
      'master.d/api.conf': 'rest_cherrypy:\n  port: 8000\n  debug: maybe\n',
    });
    const error = configError(() => loadConfig(dir));
    expect(error.file).toBe(join(dir, 'master.d/api.conf'));
    expect(error.message).toBe(
      `${join(dir, 'master.d/api.conf')}: rest_cherrypy.debug: must be true or false, got "maybe"`,
    );
  });

  it.each([
    ['ret_port: "4506"', 'ret_port', 'must be an integer between 1 and 65535, got "4506"'],
    ['ipc_mode: pipe', 'ipc_mode', 'must be one of ipc, tcp, got "pipe"'],
    ['timeout: -1', 'timeout', 'must be a non-negative number of seconds, got -1'],
    ['netapi_enable_clients: local', 'netapi_enable_clients', 'must be a list of strings, got "local"'],
    [
      'external_auth: {pam: {saltdev: ".*"}}',
      'external_auth.pam.saltdev',
      'must be a list of permissions (use [] for none), got ".*"',
    ],
    ['external_auth: [pam]', 'external_auth', 'must be a mapping, got a list'],
    ['nodegroups: {web: 5}', 'nodegroups', 'web: must be a target string or a list of strings'],
    ['root_dir: 5', 'root_dir', 'must be a string, got 5'],
    ['event_pull_framing: zmq', 'event_pull_framing', 'must be one of auto, bare, len32, got "zmq"'],
    ['include: {a: 1}', 'include', 'must be a path/glob or a list of them'],
    ['user: [a]', 'user', 'must be a string, got a list'],
  ])('master option %s', (line, key, problem) => {
    const dir = writeConfigTree({ master: `${line}\nrest_cherrypy: {port: 8000}\n` });
    expect(configError(() => loadConfig(dir)).message).toBe(`${join(dir, 'master')}: ${key}: ${problem}`);
  });

  it.each([
    ['rest_cherrypy: 8000', 'rest_cherrypy', 'must be a mapping, got 8000'],
    [
      'rest_cherrypy: {port: 8000, disable_ssl: "false"}',
      'rest_cherrypy.disable_ssl',
      'must be true or false, got "false"',
    ],
    [
      'rest_cherrypy: {port: 8000, thread_pool: 0}',
      'rest_cherrypy.thread_pool',
      'must be an integer of at least 1, got 0',
    ],
    [
      'rest_cherrypy: {port: 8000, ssl_cert_reqs: NONE}',
      'rest_cherrypy.ssl_cert_reqs',
      'must be one of CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED, got "NONE"',
    ],
    [
      'rest_cherrypy: {port: 8000, session_store: disk}',
      'rest_cherrypy.session_store',
      'must be one of ram, cache, got "disk"',
    ],
    ['rest_cherrypy: {port: 8000, webhook_url: ""}', 'rest_cherrypy.webhook_url', 'must be a URL path, got ""'],
    [
      'rest_cherrypy: {port: 8000, api_acl: {users: {bob: 127.0.0.1}}}',
      'rest_cherrypy.api_acl.users.bob',
      'must be a list of strings, got "127.0.0.1"',
    ],
    ['rest_cherrypy: {port: 8000, cors_origin: 5}', 'rest_cherrypy.cors_origin', 'must be a list of strings, got 5'],
    [
      'rest_cherrypy: {port: 8000, ssl_min_version: SSLv3}',
      'rest_cherrypy.ssl_min_version',
      'must be one of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3, got "SSLv3"',
    ],
    [
      'rest_cherrypy: {port: 8000, session_store_timeout: 0}',
      'rest_cherrypy.session_store_timeout',
      'must be above 0 and at most 3600 seconds',
    ],
    [
      'rest_cherrypy: {port: 8000, shutdown_timeout: -1}',
      'rest_cherrypy.shutdown_timeout',
      'must be a non-negative number of seconds, got -1',
    ],
    [
      'rest_cherrypy: {port: 8000, max_request_body_size: 1.5}',
      'rest_cherrypy.max_request_body_size',
      'must be an integer of at least 0, got 1.5',
    ],
    [
      'rest_cherrypy: {port: 8000, max_sessions_per_user: 0}',
      'rest_cherrypy.max_sessions_per_user',
      'must be an integer of at least 1, got 0',
    ],
    [
      'rest_cherrypy: {port: 8000, login_max_failures: -1}',
      'rest_cherrypy.login_max_failures',
      'must be an integer of at least 0, got -1',
    ],
    [
      'rest_cherrypy: {port: 8000, trusted_proxies: [10.0.0.0/33]}',
      'rest_cherrypy.trusted_proxies',
      '"10.0.0.0/33" is not an address, a CIDR block or loopback/linklocal/uniquelocal',
    ],
    [
      'rest_cherrypy: {port: 8000, trusted_proxies: proxy.example}',
      'rest_cherrypy.trusted_proxies',
      'must be a list of strings, got "proxy.example"',
    ],
  ])('rest option %s', (line, key, problem) => {
    const dir = writeConfigTree({ master: `${line}\n` });
    expect(configError(() => loadConfig(dir)).message).toBe(`${join(dir, 'master')}: ${key}: ${problem}`);
  });
});
