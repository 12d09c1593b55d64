import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CONFIG_FILE } from '../../src/config/cli-args.js';
import { ConfigError } from '../../src/config/errors.js';
import { dictFrom } from '../../src/dict.js';
import { loadSettings, resolveConfigFile, type LoadSettingsOptions } from '../../src/config/load.js';

/** The null-prototype mapping the loader builds for names taken from the config. */
const dict = <T>(entries: Record<string, T>): Record<string, T> => dictFrom(Object.entries(entries));

const created: string[] = [];

/** Writes `files` (relative path → content) under a fresh temp dir and returns the dir. */
function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'salt-apid-config-'));
  created.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

afterEach(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function load(dir: string, options: LoadSettingsOptions = {}) {
  const warnings: string[] = [];
  const settings = loadSettings({ configFile: join(dir, 'master'), onWarning: (m) => warnings.push(m), ...options });
  return { settings, warnings };
}

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

describe('loadSettings defaults', () => {
  it('fills every option with its salt-api / Salt master default', () => {
    const dir = tree({ master: 'rest_cherrypy:\n  port: 8000\n' });
    const { settings, warnings } = load(dir);
    expect(warnings).toEqual([]);
    expect(settings.rest).toStrictEqual({
      port: 8000,
      host: '0.0.0.0',
      disableSsl: false,
      sslCrt: undefined,
      sslKey: undefined,
      sslChain: undefined,
      sslCaCerts: undefined,
      sslCertReqs: undefined,
      sslAllowedCn: undefined,
      sslMinVersion: 'TLSv1.2',
      sslCiphers:
        'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:' +
        'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:' +
        'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305',
      debug: false,
      logAccessFile: '',
      logErrorFile: '',
      threadPool: 100,
      socketQueueSize: 30,
      expireResponses: true,
      maxRequestBodySize: 1048576,
      collectStats: false,
      statsDisableAuth: false,
      static: undefined,
      staticPath: '/static',
      app: undefined,
      appPath: '/app',
      rootPrefix: '/',
      webhookUrl: '/hook',
      webhookDisableAuth: false,
      enableSessions: true,
      sessionStore: 'ram',
      apiAcl: undefined,
      authorizedIps: undefined,
      favicon: undefined,
      corsOrigin: undefined,
      eventsUrlTokens: true,
      sshPamInProcess: true,
      webhooks: [],
      eventHub: undefined,
      metrics: true,
      metricsPath: '/metrics',
      metricsDisableAuth: false,
      eventsIds: false,
      eventsReplay: { maxEvents: 10_000, maxSeconds: 300 },
      maxSessions: 10_000,
      maxSessionsPerUser: 100,
      loginMaxFailures: 5,
      loginFailureWindow: 300,
      shutdownTimeout: 10,
    });
    expect(settings.master).toStrictEqual({
      configFile: join(dir, 'master'),
      rootDir: '/',
      interface: '127.0.0.1',
      retPort: 4506,
      sockDir: '/var/run/salt/master',
      ipcMode: 'ipc',
      tcpMasterPubPort: 4512,
      tcpMasterPullPort: 4513,
      eventPullFraming: 'auto',
      externalAuth: dict({}),
      netapiEnableClients: [],
      netapiAllowRawShell: false,
      tokenExpire: 43200,
      tokenExpireUserOverride: false,
      restTimeout: 300,
      timeout: 5,
      gatherJobTimeout: 10,
      hashType: 'sha256',
      nodegroups: dict({}),
      user: userInfo().username,
      apiPidfile: '/var/run/salt-api.pid',
      apiLogfile: '/var/log/salt/api',
      keepAclInToken: false,
      pamService: 'login',
      pkiDir: '/etc/salt/pki/master',
      rosterFile: expect.stringMatching(/\/roster$/),
    });
  });

  it('reads every option it knows', () => {
    const dir = tree({
      master: `
interface: 10.0.0.5
ret_port: 14506
ipc_mode: tcp
tcp_master_pub_port: 14512
tcp_master_pull_port: 14513
timeout: 7
gather_job_timeout: 2.5
token_expire: 3600
token_expire_user_override: {pam: [alice]}
rest_timeout: 30
hash_type: SHA512
netapi_enable_clients: [local, runner]
netapi_allow_raw_shell: yes
user: salt
keep_acl_in_token: true
auth.pam.service: salt-api
pki_dir: /srv/pki
roster_file: /srv/roster
event_pull_framing: len32
external_auth:
  pam:
    saltdev: ['.*', '@wheel']
    'admins%': ['@runner']
nodegroups:
  - web: 'web*'
  - db: [db1, db2]
rest_cherrypy:
  port: 8443
  host: '::'
  ssl_crt: /etc/pki/api.crt
  ssl_key: /etc/pki/api.key
  ssl_cert_reqs: CERT_REQUIRED
  ssl_allowed_cn: [gui]
  queue_size: 64
  root_prefix: api/
  webhook_url: myhook
  session_store: cache
  api_acl: {users: {saltdev: [127.0.0.1], '*': [10.0.0.1]}}
  authorized_ips: [127.0.0.1]
  cors_origin: [https://a.example, https://b.example]
  events_url_tokens: off
  ssh_pam_in_process: false
  event_pull_framing: bare
  shutdown_timeout: 2.5
  ssl_min_version: TLSv1.3
  ssl_ciphers: ECDHE-ECDSA-AES128-GCM-SHA256
`,
    });
    const { master, rest } = load(dir).settings;
    expect(master).toMatchObject({
      interface: '10.0.0.5',
      retPort: 14506,
      ipcMode: 'tcp',
      tcpMasterPubPort: 14512,
      tcpMasterPullPort: 14513,
      timeout: 7,
      gatherJobTimeout: 2.5,
      tokenExpire: 3600,
      tokenExpireUserOverride: true,
      restTimeout: 30,
      hashType: 'sha512',
      netapiEnableClients: ['local', 'runner'],
      keepAclInToken: true,
      pamService: 'salt-api',
      pkiDir: '/srv/pki',
      rosterFile: '/srv/roster',
      netapiAllowRawShell: true,
      user: 'salt',
      eventPullFraming: 'bare',
      externalAuth: { pam: { saltdev: ['.*', '@wheel'], 'admins%': ['@runner'] } },
      nodegroups: { web: 'web*', db: ['db1', 'db2'] },
    });
    expect(rest).toMatchObject({
      port: 8443,
      host: '::',
      sslCrt: '/etc/pki/api.crt',
      sslKey: '/etc/pki/api.key',
      sslCertReqs: 'CERT_REQUIRED',
      sslAllowedCn: ['gui'],
      socketQueueSize: 64,
      rootPrefix: '/api',
      webhookUrl: '/myhook',
      sessionStore: 'cache',
      apiAcl: { saltdev: ['127.0.0.1'], '*': ['10.0.0.1'] },
      authorizedIps: ['127.0.0.1'],
      corsOrigin: ['https://a.example', 'https://b.example'],
      eventsUrlTokens: false,
      sshPamInProcess: false,
      shutdownTimeout: 2.5,
      sslMinVersion: 'TLSv1.3',
      sslCiphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
  });

  it.each([
    ['0.0.0.0', '127.0.0.1'],
    ['::', '::1'],
    ['192.0.2.7', '192.0.2.7'],
  ])('contacts interface %s at %s', (bind, contact) => {
    const dir = tree({ master: `interface: '${bind}'\nrest_cherrypy: {port: 8000}\n` });
    expect(load(dir).settings.master.interface).toBe(contact);
  });

  it('prefers socket_queue_size over its queue_size alias', () => {
    const dir = tree({ master: 'rest_cherrypy: {port: 8000, socket_queue_size: 5, queue_size: 64}\n' });
    expect(load(dir).settings.rest.socketQueueSize).toBe(5);
  });

  it.each([
    ['/', '/'],
    ['', '/'],
    ['api', '/api'],
    ['/api/', '/api'],
    ['//api//v1/', '/api//v1'],
  ])('normalises root_prefix %j to %j', (prefix, expected) => {
    const dir = tree({ master: `rest_cherrypy: {port: 8000, root_prefix: '${prefix}'}\n` });
    expect(load(dir).settings.rest.rootPrefix).toBe(expected);
  });

  it('takes event_pull_framing from the master top level when rest_cherrypy has none', () => {
    const dir = tree({ master: 'event_pull_framing: len32\nrest_cherrypy: {port: 8000, cors_origin: "*"}\n' });
    const { master, rest } = load(dir).settings;
    expect(master.eventPullFraming).toBe('len32');
    expect(rest.corsOrigin).toBe('*');
  });

  it('treats options left empty (null) as unset', () => {
    const dir = tree({
      master: 'nodegroups:\nexternal_auth:\nnetapi_enable_clients:\nrest_cherrypy:\n  port: 8000\n  host:\n',
    });
    const { master, rest } = load(dir).settings;
    expect(master.nodegroups).toStrictEqual(dict({}));
    expect(master.externalAuth).toStrictEqual(dict({}));
    expect(master.netapiEnableClients).toStrictEqual([]);
    expect(rest.host).toBe('0.0.0.0');
  });

  it('warns about unknown rest_cherrypy options', () => {
    const dir = tree({ master: 'rest_cherrypy: {port: 8000, prot: 1}\n' });
    expect(load(dir).warnings).toEqual([`${join(dir, 'master')}: rest_cherrypy.prot: unknown option, ignored`]);
  });
});

describe('loadSettings includes (Salt master_config semantics)', () => {
  it('reads default_include master.d/*.conf in name order, merging the files deeply', () => {
    const dir = tree({
      master: 'rest_cherrypy: {port: 8000, debug: true}\nnetapi_enable_clients: [local]\n',
      'master.d/b.conf': 'rest_cherrypy: {host: 127.0.0.1}\nnetapi_enable_clients: [runner, local]\n',
      'master.d/a.conf': 'rest_cherrypy: {port: 9000, host: 10.0.0.1}\nnetapi_enable_clients: [wheel]\n',
      'master.d/.hidden.conf': 'rest_cherrypy: {port: 1}\n',
      'master.d/c.conf.example': 'rest_cherrypy: {port: 2}\n',
    });
    const { master, rest } = load(dir).settings;
    expect(rest.port).toBe(9000);
    expect(rest.host).toBe('127.0.0.1');
    // The master.d result replaces the main file's top-level keys wholesale: debug is gone.
    expect(rest.debug).toBe(false);
    // Lists merge between included files, without duplicates.
    expect(master.netapiEnableClients).toEqual(['wheel', 'runner', 'local']);
  });

  it('keeps names that are Object.prototype members as plain keys through the merge', () => {
    const dir = tree({
      master: 'rest_cherrypy: {port: 8000}\n',
      'master.d/a.conf': 'external_auth: {pam: {saltdev: [a], toString: [t]}}\nnodegroups: {constructor: web*}\n',
      'master.d/b.conf':
        "external_auth: {pam: {__proto__: [p], constructor: [c]}, __proto__: {x: [y]}}\nnodegroups: [{__proto__: 'db*'}]\n",
    });
    const { master } = load(dir).settings;
    expect(Object.keys(master.externalAuth)).toEqual(['pam', '__proto__']);
    expect(Object.keys(master.externalAuth['pam'] ?? {})).toEqual(['saltdev', 'toString', '__proto__', 'constructor']);
    expect(Object.getOwnPropertyDescriptor(master.externalAuth['pam'], '__proto__')?.value).toEqual(['p']);
    expect(Object.keys(master.nodegroups)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  it('is fine without a master.d directory, and honours a default_include override', () => {
    expect(load(tree({ master: 'rest_cherrypy: {port: 8000}\n' })).warnings).toEqual([]);
    const dir = tree({
      master: 'default_include: conf.d/*.yml\nrest_cherrypy: {port: 8000}\n',
      'conf.d/x.yml': 'timeout: 9\n',
      'master.d/y.conf': 'timeout: 1\n',
    });
    expect(load(dir).settings.master.timeout).toBe(9);
  });

  it('reads include (list, globs, relative or absolute) after default_include', () => {
    const dir = tree({
      'master.d/a.conf': 'timeout: 2\ngather_job_timeout: 3\n',
      'extra/one.conf': 'timeout: 4\n',
      'abs.conf': 'rest_timeout: 77\n',
    });
    const absolute = join(dir, 'abs.conf');
    writeFileSync(
      join(dir, 'master'),
      `include: [extra/*.conf, ${absolute}]\nrest_cherrypy: {port: 8000}\ntimeout: 1\n`,
    );
    const { master } = load(dir).settings;
    expect(master.timeout).toBe(4);
    expect(master.gatherJobTimeout).toBe(3);
    expect(master.restTimeout).toBe(77);
  });

  it('expands globs like Python: ?, [ab], [!x], across directories, hidden files skipped', () => {
    const dir = tree({
      master: "include: ['g/?.conf', 'g/[ab]b.conf', 'g/[!x]c.conf', '*/deep.conf']\nrest_cherrypy: {port: 8000}\n",
      'g/1.conf': 'netapi_enable_clients: [one]\n',
      'g/12.conf': 'netapi_enable_clients: [twelve]\n',
      'g/bb.conf': 'netapi_enable_clients: [bb]\n',
      'g/xc.conf': 'netapi_enable_clients: [xc]\n',
      'g/yc.conf': 'netapi_enable_clients: [yc]\n',
      'h/deep.conf': 'netapi_enable_clients: [deep]\n',
      '.hidden/deep.conf': 'netapi_enable_clients: [hidden]\n',
    });
    expect(load(dir).settings.master.netapiEnableClients).toEqual(['one', 'bb', 'yc', 'deep']);
  });

  it('follows includes nested in included files, relative to that file', () => {
    const dir = tree({
      master: 'include: sub/first.conf\nrest_cherrypy: {port: 8000}\n',
      'sub/first.conf': 'include: second.conf\ntimeout: 1\n',
      'sub/second.conf': 'gather_job_timeout: 2\n',
    });
    expect(load(dir).settings.master).toMatchObject({ timeout: 1, gatherJobTimeout: 2 });
  });

  it('warns, as Salt logs, when an explicit include matches nothing or an included file is broken', () => {
    const dir = tree({
      master: 'include: [missing.conf, broken.conf]\nrest_cherrypy: {port: 8000}\n',
      'broken.conf': 'timeout: [1\n',
    });
    const { settings, warnings } = load(dir);
    expect(settings.master.timeout).toBe(5);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`'${join(dir, 'missing.conf')}' matches no files`);
    expect(warnings[1]).toContain(`${join(dir, 'broken.conf')}: invalid YAML`);
  });
});

describe('loadSettings root_dir (prepend_root_dir)', () => {
  it('puts sock_dir, api_pidfile and api_logfile under root_dir', () => {
    const dir = tree({ master: 'root_dir: /srv/salt-root\nrest_cherrypy: {port: 8000}\n' });
    expect(load(dir).settings.master).toMatchObject({
      rootDir: '/srv/salt-root',
      sockDir: '/srv/salt-root/var/run/salt/master',
      apiPidfile: '/srv/salt-root/var/run/salt-api.pid',
      apiLogfile: '/srv/salt-root/var/log/salt/api',
    });
  });

  it('does not prefix a path already under root_dir, and prefixes relative ones', () => {
    const dir = tree({
      master:
        'root_dir: /srv/r\nsock_dir: /srv/r/run/m\napi_pidfile: run/api.pid\napi_logfile: /log/api\nrest_cherrypy: {port: 8000}\n',
    });
    expect(load(dir).settings.master).toMatchObject({
      sockDir: '/srv/r/run/m',
      apiPidfile: '/srv/r/run/api.pid',
      apiLogfile: '/srv/r/log/api',
    });
  });

  it('moves an over-long sock_dir under cachedir/.salt-unix like apply_master_config', () => {
    const dir = tree({
      master: 'root_dir: /r\ncachedir: /c\nsock_dir: /a/very/long/socket/directory\nrest_cherrypy: {port: 8000}\n',
    });
    expect(load(dir).settings.master.sockDir).toBe('/r/c/.salt-unix');
  });
});

describe('loadSettings overrides', () => {
  it('lets --host/--port win over the file', () => {
    const dir = tree({ master: 'rest_cherrypy: {port: 8000, host: 10.0.0.1}\n' });
    expect(load(dir, { overrides: { host: '127.0.0.1', port: 9001 } }).settings.rest).toMatchObject({
      host: '127.0.0.1',
      port: 9001,
    });
  });

  it('accepts a missing rest_cherrypy section when --port is given', () => {
    const dir = tree({ master: 'timeout: 3\n' });
    expect(load(dir, { overrides: { port: 9001 } }).settings.rest.port).toBe(9001);
  });
});

describe('loadSettings errors name the file and the key', () => {
  it('a missing config file', () => {
    const dir = tree({});
    const error = configError(() => load(dir));
    expect(error.message).toBe(`${join(dir, 'master')}: no such file`);
    expect(error.file).toBe(join(dir, 'master'));
  });

  it('invalid YAML and a document that is not a mapping', () => {
    const broken = tree({ master: 'rest_cherrypy: [\n' });
    expect(configError(() => load(broken)).message).toMatch(/master: invalid YAML: .*line \d+/);
    const list = tree({ master: '- a\n- b\n' });
    expect(configError(() => load(list)).message).toBe(
      `${join(list, 'master')}: must be a YAML mapping of options, not a list`,
    );
  });

  it('no rest_cherrypy section, or no port in it', () => {
    const none = tree({ master: 'timeout: 3\n' });
    const error = configError(() => load(none));
    expect(error.message).toBe(
      `${join(none, 'master')}: rest_cherrypy.port is required (salt-api serves nothing without it)`,
    );
    expect(error.key).toBe('rest_cherrypy.port');
    const noPort = tree({ master: 'rest_cherrypy:\n  host: 127.0.0.1\n' });
    expect(configError(() => load(noPort)).key).toBe('rest_cherrypy.port');
  });

  it('a port that is not an integer in range', () => {
    const dir = tree({ master: 'rest_cherrypy:\n  port: abc\n' });
    expect(configError(() => load(dir)).message).toBe(
      `${join(dir, 'master')}: rest_cherrypy.port: must be an integer between 1 and 65535, got "abc"`,
    );
    expect(configError(() => load(tree({ master: 'rest_cherrypy: {port: 70000}\n' }))).message).toContain('got 70000');
  });

  it('names the included file that set the bad value', () => {
    const dir = tree({
      master: 'rest_cherrypy: {port: 8000}\n',
      'master.d/api.conf': 'rest_cherrypy:\n  port: 8000\n  debug: maybe\n',
    });
    const error = configError(() => load(dir));
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
    const dir = tree({ master: `${line}\nrest_cherrypy: {port: 8000}\n` });
    expect(configError(() => load(dir)).message).toBe(`${join(dir, 'master')}: ${key}: ${problem}`);
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
  ])('rest option %s', (line, key, problem) => {
    const dir = tree({ master: `${line}\n` });
    expect(configError(() => load(dir)).message).toBe(`${join(dir, 'master')}: ${key}: ${problem}`);
  });
});

describe('session bounds, login throttling and api_acl options', () => {
  it('reads the bounds and the throttle, 0 turning the throttle off', () => {
    const dir = tree({
      master:
        'rest_cherrypy: {port: 8000, max_sessions: 50, max_sessions_per_user: 5, login_max_failures: 0, login_failure_window: 60}\n',
    });
    expect(load(dir).settings.rest).toMatchObject({
      maxSessions: 50,
      maxSessionsPerUser: 5,
      loginMaxFailures: 0,
      loginFailureWindow: 60,
    });
    expect(load(dir).warnings).toEqual([]);
  });

  it.each([
    ['api_acl: {}', undefined],
    ['api_acl: {users: {}}', {}],
    ['api_acl: {other: 1}', {}],
    ["api_acl: {users: {bob: ['*']}}", { bob: ['*'] }],
  ])('%s is read as salt_api_acl_tool reads it', (option, expected) => {
    const dir = tree({ master: `rest_cherrypy: {port: 8000, ${option}}\n` });
    expect(load(dir).settings.rest.apiAcl).toEqual(expected);
  });
});

describe('config file lookup', () => {
  it('reads <configDir>/master', () => {
    const dir = tree({ master: 'rest_cherrypy: {port: 8123}\n' });
    expect(loadSettings({ configDir: dir }).rest.port).toBe(8123);
  });

  it('defaults to SALT_MASTER_CONFIG, then SALT_CONFIG_DIR, then /etc/salt', () => {
    const dir = tree({ 'custom.conf': 'rest_cherrypy: {port: 8000}\n' });
    expect(resolveConfigFile({ env: { SALT_MASTER_CONFIG: join(dir, 'custom.conf') } })).toBe(join(dir, 'custom.conf'));
    expect(resolveConfigFile({ env: { SALT_MASTER_CONFIG: join(dir, 'nope') } })).toBe('/etc/salt/master');
    expect(resolveConfigFile({ env: { SALT_CONFIG_DIR: '/opt/salt' } })).toBe('/opt/salt/master');
    expect(resolveConfigFile({ env: {} })).toBe('/etc/salt/master');
    expect(resolveConfigFile({ configDir: '/x', configFile: '/y/master.conf', env: {} })).toBe('/y/master.conf');
  });
});

describe('config/demo.conf', () => {
  it('is a working master config with all eight clients and the demo users', () => {
    const { master, rest } = loadSettings({ configFile: DEMO_CONFIG_FILE });
    expect(rest).toMatchObject({ port: 8000, host: '127.0.0.1', disableSsl: true });
    expect(master.netapiEnableClients).toEqual([
      'local',
      'local_async',
      'local_batch',
      'local_subset',
      'runner',
      'runner_async',
      'wheel',
      'wheel_async',
    ]);
    expect(master.externalAuth).toStrictEqual(
      dict({
        pam: dict({ saltdev: ['.*', '@wheel', '@runner', '@jobs'] }),
        auto: dict({ autouser: ['.*', '@wheel', '@runner', '@jobs'], nobody: [] }),
      }),
    );
  });
});
