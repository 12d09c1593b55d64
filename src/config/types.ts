/**
 * Typed settings, parsed and validated once at start-up (src/config/load.ts).
 * Option names and defaults follow Salt's master config and the `rest_cherrypy:` section
 * (docs/routes.md "Configuration, TLS and logging"; upstream salt/config/__init__.py and
 * salt/netapi/rest_cherrypy/app.py).
 */

import type { LogLevel } from './log-level.js';
import type { TextLogSpec } from '../log-text.js';
import type { EventHubSettings, WebhookRule } from './webhook-settings.js';

export type CertReqs = 'CERT_NONE' | 'CERT_OPTIONAL' | 'CERT_REQUIRED';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

/** The `rest_cherrypy:` section, every option with its salt-api default. */
export interface RestSettings {
  port: number;
  host: string;
  disableSsl: boolean;
  sslCrt: string | undefined;
  sslKey: string | undefined;
  sslChain: string | undefined;
  sslCaCerts: string | undefined;
  sslCertReqs: CertReqs | undefined;
  sslAllowedCn: string[] | undefined;
  /** salt-apid extension `ssl_min_version`: the oldest TLS version accepted (default TLSv1.2). */
  sslMinVersion: TlsVersion;
  /** salt-apid extension `ssl_ciphers`: OpenSSL cipher list (default: Mozilla "intermediate"). */
  sslCiphers: string;
  debug: boolean;
  logAccessFile: string;
  logErrorFile: string;
  /**
   * salt-apid extension `log_audit_file`: one JSON line per login, failed login, logout, lowstate
   * chunk run and webhook delivery (src/http/audit/); `''` (the default): no audit log.
   */
  logAuditFile: string;
  /**
   * salt-apid extension `trusted_proxies`: addresses and CIDR blocks of the proxies whose
   * `X-Forwarded-For` the audit log records as `forwarded_for` (default none; request.ip is unchanged).
   */
  trustedProxies: string[];
  threadPool: number;
  /** `socket_queue_size`, with the `queue_size` alias salt-api actually reads (default 1024; salt-api: 30). */
  socketQueueSize: number;
  expireResponses: boolean;
  maxRequestBodySize: number;
  collectStats: boolean;
  statsDisableAuth: boolean;
  static: string | undefined;
  staticPath: string;
  app: string | undefined;
  appPath: string;
  /** Always starts with `/`; `/` when unset. */
  rootPrefix: string;
  /** Always starts with `/`; `/hook` when unset. */
  webhookUrl: string;
  webhookDisableAuth: boolean;
  enableSessions: boolean;
  sessionStore: 'ram' | 'cache';
  /**
   * salt-apid extension `session_store_timeout`: seconds connecting to the Redis cache of
   * `session_store: cache`, and each of its commands, may take before the request fails (default 2).
   */
  sessionStoreTimeout: number;
  /**
   * `api_acl.users`: user → allowed client IPs. Undefined when `api_acl` is absent or empty (no
   * check); empty when `api_acl` is set without users (everyone refused, as salt-api does).
   */
  apiAcl: Record<string, string[]> | undefined;
  authorizedIps: string[] | undefined;
  favicon: string | undefined;
  /**
   * salt-apid extension: `cors_origin` (one origin, a list, or `*`, which excludes `null` unless
   * listed); undefined = the server's own origin only (salt-api echoes every Origin).
   */
  corsOrigin: string | string[] | undefined;
  /** salt-apid extension: accept `?token=`, `?salt_token=`, `/events/<token>` (default true). */
  eventsUrlTokens: boolean;
  /**
   * salt-apid extension `ssh_pam_in_process`: check `eauth: pam` of ssh chunks in this process, as
   * salt-api does (default true); false leaves it to the master, which also runs PAM's account checks.
   */
  sshPamInProcess: boolean;
  /** salt-apid extension `webhooks`: per-path rules for `/hook` deliveries, first match wins. */
  webhooks: WebhookRule[];
  /** salt-apid extension `event_hub`: salt-event-hub's `POST /<event>/trigger`; undefined: off. */
  eventHub: EventHubSettings | undefined;
  /** salt-apid extension `metrics`: false turns Prometheus metrics off (no /metrics, no counting). */
  metrics: boolean;
  /** salt-apid extension `metrics_path`: where Prometheus metrics are served (default `/metrics`). */
  metricsPath: string;
  /** salt-apid extension `metrics_disable_auth`: serve metrics without a session or token (default false). */
  metricsDisableAuth: boolean;
  /**
   * salt-apid extension `metrics_token_file`: a file holding a bearer token that also opens the
   * metrics (`Authorization: Bearer <token>`, as Prometheus' `credentials_file` sends it).
   */
  metricsTokenFile: string | undefined;
  /** salt-apid extension `workers`: processes serving the port (default 1; `auto`: one per CPU). */
  workers: number;
  /** salt-apid extension `events_ids`: `id:` lines on `/events` and `Last-Event-ID` resumption (default false). */
  eventsIds: boolean;
  /**
   * salt-apid extension `coalesce_job_checks`: waiting sync jobs share their liveness checks (one
   * `saltutil.running` a second) instead of one `saltutil.find_job` each (default true).
   */
  coalesceJobChecks: boolean;
  /**
   * salt-apid extension `adaptive_job_limit`: sync jobs beyond a limit that follows how fast the
   * master answers publishes wait in salt-apid (default true).
   */
  adaptiveJobLimit: boolean;
  /** salt-apid extension `max_sync_jobs`: the most sync jobs out at the master at once (default 1024). */
  maxSyncJobs: number;
  /**
   * salt-apid extension `events_replay`: how much a resuming `/events` client can get back: at most
   * `max_events` (10000), none older than `max_seconds` (300), at most `max_bytes` serialised (64 MiB).
   */
  eventsReplay: { maxEvents: number; maxSeconds: number; maxBytes: number };
  /**
   * salt-apid extension `max_sessions`: sessions kept in all (default 10000); when full, a login ends
   * the oldest session unused since its login, else the least recently used one (sessions.ts).
   */
  maxSessions: number;
  /** salt-apid extension `max_sessions_per_user`: sessions one eauth user may hold (default 100). */
  maxSessionsPerUser: number;
  /**
   * salt-apid extension `max_streams_per_session`: event streams (`/events` and WebSockets together)
   * one session, or one Salt token used without a session, may hold open (default 16; 0: no cap).
   */
  maxStreamsPerSession: number;
  /** salt-apid extension `max_streams_per_user`: event streams one eauth user may hold open (default 64; 0: no cap). */
  maxStreamsPerUser: number;
  /** salt-apid extension `login_max_failures`: failed logins per user and address before 429 (default 5; 0 = off). */
  loginMaxFailures: number;
  /** salt-apid extension `login_failure_window`: seconds failed logins are remembered (default 300; 0 = off). */
  loginFailureWindow: number;
  /**
   * salt-apid extension `shutdown_timeout`: seconds a graceful stop waits for requests in flight
   * before it closes the connections still open (default 10).
   */
  shutdownTimeout: number;
}

export type EventFraming = 'bare' | 'len32';

/** The master options salt-apid needs to reach the master and to answer like salt-api. */
export interface MasterSettings {
  /** Path of the master config file that was read (undefined for the built-in demo). */
  configFile: string | undefined;
  rootDir: string;
  /** Address to send requests to: `interface`, with 0.0.0.0 / :: contacted as loopback. */
  interface: string;
  retPort: number;
  sockDir: string;
  ipcMode: 'ipc' | 'tcp';
  tcpMasterPubPort: number;
  tcpMasterPullPort: number;
  /**
   * salt-apid extension `event_pull_framing`: `auto` probes the master
   * (docs/wire-protocol.md "How salt-apid detects the framing").
   */
  eventPullFraming: EventFraming | 'auto';
  externalAuth: Record<string, Record<string, unknown[]>>;
  /** `keep_acl_in_token`: a token carries its user's ACL (`auth_list`), used instead of `external_auth`. */
  keepAclInToken: boolean;
  /** `auth.pam.service`: the PAM service eauth `pam` authenticates against (default `login`). */
  pamService: string;
  /** `cachedir` (with `root_dir`): where Salt's localfs cache keeps its banks. */
  cachedir: string;
  /** `cache`: the master's cache driver (`localfs` by default). */
  cacheDriver: string;
  /** `cache.redis.*`: where the `redis` cache driver finds its server, and its key layout. */
  redisCache: {
    host: string;
    port: number;
    unixSocketPath: string | undefined;
    db: number;
    password: string | undefined;
    separator: string;
    banksPrefix: string;
    keysPrefix: string;
    timestampPrefix: string;
  };
  /** `pki_dir`: its `minions/` folder lists the accepted minion keys. */
  pkiDir: string;
  /** salt-ssh's flat roster: `roster_file`, else `roster` beside the master config file. */
  rosterFile: string;
  netapiEnableClients: string[];
  netapiAllowRawShell: boolean;
  tokenExpire: number;
  tokenExpireUserOverride: boolean;
  restTimeout: number;
  timeout: number;
  gatherJobTimeout: number;
  hashType: string;
  nodegroups: Record<string, string | string[]>;
  /**
   * `user`: the OS user salt-apid runs as once its port is bound (salt-api's check_user) and sends
   * as `user` in publish loads; the user running salt-apid when not set.
   */
  user: string;
  /** The config file that set `user`; undefined when it was not set. */
  userFile: string | undefined;
  apiPidfile: string;
  /** `api_logfile` under `root_dir` (default `/var/log/salt/api`). */
  apiLogfile: string;
  /** Whether the config set `api_logfile` (`--demo` opens no log file of Salt's default). */
  apiLogfileSet: boolean;
  /** `log_level`: the level of the log on standard output (`-l` wins); undefined when not set (info). */
  logLevel: LogLevel | undefined;
  /** `log_level_logfile`, else `log_level`, else Salt's default `warning`: the level of api_logfile. */
  logLevelLogfile: LogLevel;
  /**
   * Text instead of JSON lines: standard output in `log_fmt_console` (dates by `log_datefmt`),
   * api_logfile in `log_fmt_logfile` (`log_datefmt_logfile`); undefined where the format is not set.
   */
  logText: { console: TextLogSpec | undefined; logfile: TextLogSpec | undefined };
}

export interface Settings {
  master: MasterSettings;
  rest: RestSettings;
}
