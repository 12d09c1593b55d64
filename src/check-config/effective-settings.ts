/**
 * The settings a start would run with, as options of the master config: the master options
 * salt-apid uses at the top, the whole `rest_cherrypy:` section below, every option with its value
 * or default (null: not set, no default). Values are the resolved ones: paths under `root_dir`, the
 * `interface` salt-apid contacts (a wildcard address is loopback), the log levels and log file
 * after `-l`/`--log-file`. Secrets are masked (mask.ts).
 */
import type { CliArgs } from '../config/cli-args.js';
import type { MasterSettings, RestSettings, Settings } from '../config/types.js';
import type { WebhookRule } from '../config/webhook-settings.js';
import { dictFrom } from '../dict.js';
import { apiLogTarget, consoleLevel } from '../log-outputs.js';
import { maskValue } from './mask.js';

type Entries = Array<[string, unknown]>;
type RenderArgs = Pick<CliArgs, 'demo' | 'logFile' | 'logFileLevel' | 'logLevel'>;

/** Each master setting as the options it comes from; exhaustive, so a new setting must be placed. */
const MASTER_OPTIONS: { [K in keyof MasterSettings]: (master: MasterSettings, args: RenderArgs) => Entries } = {
  configFile: () => [], // named in the header
  rootDir: (m) => [['root_dir', m.rootDir]],
  interface: (m) => [['interface', m.interface]],
  retPort: (m) => [['ret_port', m.retPort]],
  sockDir: (m) => [['sock_dir', m.sockDir]],
  ipcMode: (m) => [['ipc_mode', m.ipcMode]],
  tcpMasterPubPort: (m) => [['tcp_master_pub_port', m.tcpMasterPubPort]],
  tcpMasterPullPort: (m) => [['tcp_master_pull_port', m.tcpMasterPullPort]],
  eventPullFraming: () => [], // under rest_cherrypy, where salt-apid documents it
  externalAuth: (m) => [['external_auth', m.externalAuth]],
  keepAclInToken: (m) => [['keep_acl_in_token', m.keepAclInToken]],
  pamService: (m) => [['auth.pam.service', m.pamService]],
  cachedir: (m) => [['cachedir', m.cachedir]],
  cacheDriver: (m) => [['cache', m.cacheDriver]],
  redisCache: (m) =>
    m.cacheDriver === 'redis' || m.cacheDriver === 'redis_cache'
      ? [
          ['cache.redis.host', m.redisCache.host],
          ['cache.redis.port', m.redisCache.port],
          ['cache.redis.unix_socket_path', m.redisCache.unixSocketPath],
          ['cache.redis.db', m.redisCache.db],
          ['cache.redis.password', m.redisCache.password],
          ['cache.redis.separator', m.redisCache.separator],
          ['cache.redis.banks_prefix', m.redisCache.banksPrefix],
          ['cache.redis.keys_prefix', m.redisCache.keysPrefix],
          ['cache.redis.timestamp_prefix', m.redisCache.timestampPrefix],
        ]
      : [],
  pkiDir: (m) => [['pki_dir', m.pkiDir]],
  rosterFile: (m) => [['roster_file', m.rosterFile]],
  netapiEnableClients: (m) => [['netapi_enable_clients', m.netapiEnableClients]],
  netapiAllowRawShell: (m) => [['netapi_allow_raw_shell', m.netapiAllowRawShell]],
  tokenExpire: (m) => [['token_expire', m.tokenExpire]],
  tokenExpireUserOverride: (m) => [['token_expire_user_override', m.tokenExpireUserOverride]],
  restTimeout: (m) => [['rest_timeout', m.restTimeout]],
  timeout: (m) => [['timeout', m.timeout]],
  gatherJobTimeout: (m) => [['gather_job_timeout', m.gatherJobTimeout]],
  hashType: (m) => [['hash_type', m.hashType]],
  nodegroups: (m) => [['nodegroups', m.nodegroups]],
  user: (m) => [['user', m.user]],
  userFile: () => [],
  apiPidfile: (m) => [['api_pidfile', m.apiPidfile]],
  apiLogfile: (m, args) => [['api_logfile', apiLogTarget(args, m)?.path]],
  apiLogfileSet: () => [],
  logLevel: (m, args) => [['log_level', consoleLevel(args, m)]],
  logLevelLogfile: (m, args) => [['log_level_logfile', args.logFileLevel ?? m.logLevelLogfile]],
  logText: (m) => [
    ['log_fmt_console', m.logText.console?.format],
    ['log_datefmt', m.logText.console?.datefmt],
    ['log_fmt_logfile', m.logText.logfile?.format],
    ['log_datefmt_logfile', m.logText.logfile?.datefmt],
  ],
};

/** Each `rest_cherrypy` setting's option name; exhaustive, so a new setting must be named. */
const REST_NAMES = {
  port: 'port',
  host: 'host',
  disableSsl: 'disable_ssl',
  sslCrt: 'ssl_crt',
  sslKey: 'ssl_key',
  sslChain: 'ssl_chain',
  sslCaCerts: 'ssl_ca_certs',
  sslCertReqs: 'ssl_cert_reqs',
  sslAllowedCn: 'ssl_allowed_cn',
  sslMinVersion: 'ssl_min_version',
  sslCiphers: 'ssl_ciphers',
  debug: 'debug',
  logAccessFile: 'log_access_file',
  logErrorFile: 'log_error_file',
  logAuditFile: 'log_audit_file',
  trustedProxies: 'trusted_proxies',
  threadPool: 'thread_pool',
  socketQueueSize: 'socket_queue_size',
  expireResponses: 'expire_responses',
  maxRequestBodySize: 'max_request_body_size',
  collectStats: 'collect_stats',
  statsDisableAuth: 'stats_disable_auth',
  static: 'static',
  staticPath: 'static_path',
  app: 'app',
  appPath: 'app_path',
  rootPrefix: 'root_prefix',
  webhookUrl: 'webhook_url',
  webhookDisableAuth: 'webhook_disable_auth',
  enableSessions: 'enable_sessions',
  sessionStore: 'session_store',
  sessionStoreTimeout: 'session_store_timeout',
  apiAcl: 'api_acl',
  authorizedIps: 'authorized_ips',
  favicon: 'favicon',
  corsOrigin: 'cors_origin',
  eventsUrlTokens: 'events_url_tokens',
  sshPamInProcess: 'ssh_pam_in_process',
  webhooks: 'webhooks',
  eventHub: 'event_hub',
  metrics: 'metrics',
  metricsPath: 'metrics_path',
  metricsDisableAuth: 'metrics_disable_auth',
  metricsTokenFile: 'metrics_token_file',
  workers: 'workers',
  eventsIds: 'events_ids',
  coalesceJobChecks: 'coalesce_job_checks',
  adaptiveJobLimit: 'adaptive_job_limit',
  maxSyncJobs: 'max_sync_jobs',
  eventsReplay: 'events_replay',
  maxSessions: 'max_sessions',
  maxSessionsPerUser: 'max_sessions_per_user',
  maxStreamsPerSession: 'max_streams_per_session',
  maxStreamsPerUser: 'max_streams_per_user',
  loginMaxFailures: 'login_max_failures',
  loginFailureWindow: 'login_failure_window',
  shutdownTimeout: 'shutdown_timeout',
} as const satisfies Record<keyof RestSettings, string>;

function webhookRule(rule: WebhookRule): Record<string, unknown> {
  return {
    path: rule.path,
    auth: rule.auth,
    secret: rule.secret ?? null,
    header: rule.header,
    allow_from: rule.allowFrom === undefined ? null : rule.allowFromText,
    replay_window: rule.replayWindow,
  };
}

/** The settings whose value is not the option's as it is written. */
function restValue(rest: RestSettings, key: keyof RestSettings): unknown {
  switch (key) {
    case 'apiAcl':
      return rest.apiAcl === undefined ? null : { users: rest.apiAcl };
    case 'webhooks':
      return rest.webhooks.map(webhookRule);
    case 'eventHub':
      return rest.eventHub === undefined
        ? null
        : { token: rest.eventHub.token, allowed_tags: rest.eventHub.allowedTags ?? null };
    case 'eventsReplay': {
      const { maxEvents, maxSeconds, maxBytes } = rest.eventsReplay;
      return { max_events: maxEvents, max_seconds: maxSeconds, max_bytes: maxBytes };
    }
    default:
      return rest[key] ?? null;
  }
}

/** The effective settings as one mapping of options, secrets masked. */
export function effectiveSettings(settings: Settings, args: RenderArgs): Record<string, unknown> {
  const master = Object.values(MASTER_OPTIONS).flatMap((entriesOf) => entriesOf(settings.master, args));
  const rest: Entries = (Object.keys(REST_NAMES) as Array<keyof RestSettings>).map((key) => [
    REST_NAMES[key],
    restValue(settings.rest, key),
  ]);
  rest.push(['event_pull_framing', settings.master.eventPullFraming]);
  const options = dictFrom<unknown>([
    ...master.map(([name, value]): [string, unknown] => [name, value ?? null]),
    ['rest_cherrypy', dictFrom(rest)],
  ]);
  return maskValue(options) as Record<string, unknown>;
}
