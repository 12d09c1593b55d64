import type { MasterSettings, RestSettings, Settings } from '../../src/config/types.js';

export interface SettingsOverrides {
  rest?: Partial<RestSettings>;
  master?: Partial<MasterSettings>;
}

/**
 * A complete Settings object with salt-api's defaults (rest-api.md §1.3, §1.4), written out by
 * hand so tests do not depend on the config loader. The only departures are the test-friendly
 * `port`, `host` and `disable_ssl` (salt-api has no default port and demands TLS).
 */
export function testSettings(overrides: SettingsOverrides = {}): Settings {
  const rest: RestSettings = {
    port: 8000,
    host: '127.0.0.1',
    disableSsl: true,
    sslCrt: undefined,
    sslKey: undefined,
    sslChain: undefined,
    sslCaCerts: undefined,
    sslCertReqs: undefined,
    sslAllowedCn: undefined,
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
    ...overrides.rest,
  };
  const master: MasterSettings = {
    configFile: undefined,
    rootDir: '/',
    interface: '0.0.0.0',
    retPort: 4506,
    sockDir: '/var/run/salt/master',
    ipcMode: 'ipc',
    tcpMasterPubPort: 4512,
    tcpMasterPullPort: 4513,
    eventPullFraming: 'auto',
    externalAuth: {},
    netapiEnableClients: [],
    netapiAllowRawShell: false,
    tokenExpire: 43200,
    tokenExpireUserOverride: false,
    restTimeout: 300,
    timeout: 5,
    gatherJobTimeout: 10,
    hashType: 'sha256',
    nodegroups: {},
    user: 'root',
    apiPidfile: '/var/run/salt-api.pid',
    apiLogfile: '/var/log/salt/api',
    ...overrides.master,
  };
  return { master, rest };
}
