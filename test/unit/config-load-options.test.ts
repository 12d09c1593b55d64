import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dict, loadConfig, removeConfigTrees, writeConfigTree } from '../support/config-tree.js';

afterEach(removeConfigTrees);

describe('loadSettings defaults', () => {
  it('fills every option with its salt-api / Salt master default', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy:\n  port: 8000\n' });
    const { settings, warnings } = loadConfig(dir);
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
      logAuditFile: '',
      trustedProxies: [],
      threadPool: 100,
      socketQueueSize: 1024,
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
      sessionStoreTimeout: 2,
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
      metricsTokenFile: undefined,
      eventsIds: false,
      coalesceJobChecks: true,
      adaptiveJobLimit: true,
      maxSyncJobs: 1024,
      workers: 1,
      eventsReplay: { maxEvents: 10_000, maxSeconds: 300, maxBytes: 64 * 1024 * 1024 },
      maxSessions: 10_000,
      maxSessionsPerUser: 100,
      maxStreamsPerSession: 16,
      maxStreamsPerUser: 64,
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
      userFile: undefined,
      apiPidfile: '/var/run/salt-api.pid',
      apiLogfile: '/var/log/salt/api',
      apiLogfileSet: false,
      logLevel: undefined,
      logLevelLogfile: 'warn',
      logText: { console: undefined, logfile: undefined },
      keepAclInToken: false,
      pamService: 'login',
      cachedir: '/var/cache/salt/master',
      cacheDriver: 'localfs',
      redisCache: {
        host: 'localhost',
        port: 6379,
        unixSocketPath: undefined,
        db: 0,
        password: undefined,
        separator: '_',
        banksPrefix: '$BANKS',
        keysPrefix: '$KEYS',
        timestampPrefix: '$TSTAMP',
      },
      pkiDir: '/etc/salt/pki/master',
      rosterFile: expect.stringMatching(/\/roster$/),
    });
  });

  it('reads every option it knows', () => {
    const dir = writeConfigTree({
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
  session_store_timeout: 0.5
  api_acl: {users: {saltdev: [127.0.0.1], '*': [10.0.0.1]}}
  authorized_ips: [127.0.0.1]
  log_audit_file: /var/log/salt/api-audit
  trusted_proxies: [10.0.0.0/8, '::1', loopback]
  cors_origin: [https://a.example, https://b.example]
  events_url_tokens: off
  ssh_pam_in_process: false
  event_pull_framing: bare
  shutdown_timeout: 2.5
  ssl_min_version: TLSv1.3
  ssl_ciphers: ECDHE-ECDSA-AES128-GCM-SHA256
`,
    });
    const { master, rest } = loadConfig(dir).settings;
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
      userFile: join(dir, 'master'),
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
      sessionStoreTimeout: 0.5,
      apiAcl: { saltdev: ['127.0.0.1'], '*': ['10.0.0.1'] },
      authorizedIps: ['127.0.0.1'],
      logAuditFile: '/var/log/salt/api-audit',
      trustedProxies: ['10.0.0.0/8', '::1', 'loopback'],
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
    const dir = writeConfigTree({ master: `interface: '${bind}'\nrest_cherrypy: {port: 8000}\n` });
    expect(loadConfig(dir).settings.master.interface).toBe(contact);
  });

  it('prefers socket_queue_size over its queue_size alias', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy: {port: 8000, socket_queue_size: 5, queue_size: 64}\n' });
    expect(loadConfig(dir).settings.rest.socketQueueSize).toBe(5);
  });

  it.each([
    ['/', '/'],
    ['', '/'],
    ['api', '/api'],
    ['/api/', '/api'],
    ['//api//v1/', '/api//v1'],
  ])('normalises root_prefix %j to %j', (prefix, expected) => {
    const dir = writeConfigTree({ master: `rest_cherrypy: {port: 8000, root_prefix: '${prefix}'}\n` });
    expect(loadConfig(dir).settings.rest.rootPrefix).toBe(expected);
  });

  it('takes event_pull_framing from the master top level when rest_cherrypy has none', () => {
    const dir = writeConfigTree({
      master: 'event_pull_framing: len32\nrest_cherrypy: {port: 8000, cors_origin: "*"}\n',
    });
    const { master, rest } = loadConfig(dir).settings;
    expect(master.eventPullFraming).toBe('len32');
    expect(rest.corsOrigin).toBe('*');
  });

  it('treats options left empty (null) as unset', () => {
    const dir = writeConfigTree({
      master: 'nodegroups:\nexternal_auth:\nnetapi_enable_clients:\nrest_cherrypy:\n  port: 8000\n  host:\n',
    });
    const { master, rest } = loadConfig(dir).settings;
    expect(master.nodegroups).toStrictEqual(dict({}));
    expect(master.externalAuth).toStrictEqual(dict({}));
    expect(master.netapiEnableClients).toStrictEqual([]);
    expect(rest.host).toBe('0.0.0.0');
  });

  it('warns about unknown rest_cherrypy options', () => {
    const dir = writeConfigTree({ master: 'rest_cherrypy: {port: 8000, prot: 1}\n' });
    expect(loadConfig(dir).warnings).toEqual([`${join(dir, 'master')}: rest_cherrypy.prot: unknown option, ignored`]);
  });
});

describe('session bounds, login throttling and api_acl options', () => {
  it('reads the bounds and the throttle, 0 turning the throttle off', () => {
    const dir = writeConfigTree({
      master:
        'rest_cherrypy: {port: 8000, max_sessions: 50, max_sessions_per_user: 5, login_max_failures: 0, login_failure_window: 60}\n',
    });
    expect(loadConfig(dir).settings.rest).toMatchObject({
      maxSessions: 50,
      maxSessionsPerUser: 5,
      loginMaxFailures: 0,
      loginFailureWindow: 60,
    });
    expect(loadConfig(dir).warnings).toEqual([]);
  });

  it('reads the stream caps and the replay ring byte bound, 0 turning a cap off', () => {
    const dir = writeConfigTree({
      master:
        'rest_cherrypy: {port: 8000, max_streams_per_session: 0, max_streams_per_user: 8, events_replay: {max_bytes: 1048576}}\n',
    });
    expect(loadConfig(dir).settings.rest).toMatchObject({
      maxStreamsPerSession: 0,
      maxStreamsPerUser: 8,
      eventsReplay: { maxEvents: 10_000, maxSeconds: 300, maxBytes: 1_048_576 },
    });
    expect(loadConfig(dir).warnings).toEqual([]);
    for (const option of ['max_streams_per_user: -1', 'events_replay: {max_bytes: -1}']) {
      const bad = writeConfigTree({ master: `rest_cherrypy: {port: 8000, ${option}}\n` });
      expect(() => loadConfig(bad)).toThrow(/max_streams_per_user|max_bytes/);
    }
  });

  it.each([
    ['api_acl: {}', undefined],
    ['api_acl: {users: {}}', {}],
    ['api_acl: {other: 1}', {}],
    ["api_acl: {users: {bob: ['*']}}", { bob: ['*'] }],
  ])('%s is read as salt_api_acl_tool reads it', (option, expected) => {
    const dir = writeConfigTree({ master: `rest_cherrypy: {port: 8000, ${option}}\n` });
    expect(loadConfig(dir).settings.rest.apiAcl).toEqual(expected);
  });
});
