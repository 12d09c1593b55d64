/**
 * RestSettings from the `rest_cherrypy:` section, each option with its salt-api default
 * (salt/netapi/rest_cherrypy/app.py) and salt-apid's extensions (`cors_origin`,
 * `events_url_tokens`, `shutdown_timeout`, …).
 */
import { availableParallelism } from 'node:os';
import proxyaddr from '@fastify/proxy-addr';
import { readEventHub, readWebhookRules } from './webhook-settings.js';
import type { CertReqs, RestSettings, TlsVersion } from './types.js';
import { listenHostProblem } from './listen-host.js';
import { describeValue, type OptionReader } from './option-reader.js';
import { emptyDict } from '../dict.js';

/** Every option of `rest_cherrypy:`; salt-apid reads no other (unknown-rest-keys.ts tells of those). */
export const KNOWN_OPTIONS: ReadonlySet<string> = new Set([
  'port',
  'host',
  'disable_ssl',
  'ssl_crt',
  'ssl_key',
  'ssl_chain',
  'ssl_ca_certs',
  'ssl_cert_reqs',
  'ssl_allowed_cn',
  'debug',
  'log_access_file',
  'log_error_file',
  'log_audit_file',
  'trusted_proxies',
  'thread_pool',
  'socket_queue_size',
  'queue_size',
  'expire_responses',
  'max_request_body_size',
  'collect_stats',
  'stats_disable_auth',
  'static',
  'static_path',
  'app',
  'app_path',
  'root_prefix',
  'webhook_url',
  'webhook_disable_auth',
  'enable_sessions',
  'session_store',
  'session_store_timeout',
  'api_acl',
  'authorized_ips',
  'favicon',
  'cors_origin',
  'events_url_tokens',
  'ssh_pam_in_process',
  'webhooks',
  'event_hub',
  'metrics',
  'metrics_path',
  'metrics_disable_auth',
  'metrics_token_file',
  'events_ids',
  'coalesce_job_checks',
  'adaptive_job_limit',
  'max_sync_jobs',
  'workers',
  'events_replay',
  'event_pull_framing',
  'max_sessions',
  'max_sessions_per_user',
  'max_streams_per_session',
  'max_streams_per_user',
  'login_max_failures',
  'login_failure_window',
  'shutdown_timeout',
  'ssl_min_version',
  'ssl_ciphers',
]);

/** Seconds the Redis session cache may take to connect or to answer (`session_store_timeout`). */
export const DEFAULT_SESSION_STORE_TIMEOUT = 2;

/** `session_store_timeout`: a positive number of seconds, at most an hour. */
function readSessionStoreTimeout(rest: OptionReader): number {
  const seconds = rest.seconds('session_store_timeout');
  if (seconds === undefined) return DEFAULT_SESSION_STORE_TIMEOUT;
  if (seconds <= 0 || seconds > 3600)
    throw rest.fail('session_store_timeout', 'must be above 0 and at most 3600 seconds');
  return seconds;
}

/** Seconds a graceful stop waits for requests in flight (`shutdown_timeout`). */
export const DEFAULT_SHUTDOWN_TIMEOUT = 10;

const CERT_REQS: readonly CertReqs[] = ['CERT_NONE', 'CERT_OPTIONAL', 'CERT_REQUIRED'];
const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export const DEFAULT_SSL_MIN_VERSION: TlsVersion = 'TLSv1.2';

/**
 * Mozilla's "intermediate" server configuration (ssl-config.mozilla.org, guidelines 5.7): the
 * TLS 1.3 suites, then TLS 1.2 suites that all have forward secrecy and authenticated
 * encryption. Its DHE suites are left out: they need Diffie-Hellman parameters the server is not
 * given, so OpenSSL would never pick them anyway.
 */
export const DEFAULT_SSL_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** `workers`: how many processes serve the port (`auto`: one per CPU the process may use). */
function readWorkers(rest: OptionReader): number {
  if (rest.raw('workers') === 'auto') return availableParallelism();
  return rest.integer('workers', 1, 256) ?? 1;
}

/**
 * Event streams (`/events`, `/ws` and rest_tornado's sockets together) one session, or one Salt
 * token used without a session, may hold open (`max_streams_per_session`; 0: no cap). A browser
 * holds one per tab and at most six over HTTP/1.1 to one host; 16 leaves room for tabs sharing a
 * session and a reconnect racing the old stream's close.
 */
export const DEFAULT_MAX_STREAMS_PER_SESSION = 16;

/**
 * Event streams one eauth user (backend + name) may hold open over all their sessions and tokens
 * (`max_streams_per_user`; 0: no cap). Four sessions' worth: dashboards and scripts sharing a
 * service account fit; one account can no longer open hundreds, each filtering every bus event.
 */
export const DEFAULT_MAX_STREAMS_PER_USER = 64;

/** The listen backlog when neither `socket_queue_size` nor `queue_size` is set. */
export const DEFAULT_SOCKET_QUEUE = 1024;

/**
 * `events_replay.max_bytes` by default: 64 MiB of serialised events. Ordinary events (job returns,
 * key and auth events) serialise to 0.2–5 KB, so `max_events` (10,000) of them fit inside it and the
 * byte bound only bites for large events, which otherwise stayed for `max_seconds` whatever their
 * size (300 hooks of 1 MB took the process from 73 MB to 530 MB).
 */
export const DEFAULT_EVENTS_REPLAY_MAX_BYTES = 64 * 1024 * 1024;

/** The keys of `events_replay`. */
export const EVENTS_REPLAY_KEYS: readonly string[] = ['max_events', 'max_seconds', 'max_bytes'];

/** `events_replay: {max_events, max_seconds, max_bytes}`: the ring resumable `/events` streams replay from. */
function readEventsReplay(rest: OptionReader): RestSettings['eventsReplay'] {
  const replay = rest.nested('events_replay');
  return {
    maxEvents: replay?.integer('max_events', 0, 1_000_000) ?? 10_000,
    maxSeconds: replay?.integer('max_seconds', 0, 86_400) ?? 300,
    maxBytes: replay?.integer('max_bytes', 0, 16 * 1024 * 1024 * 1024) ?? DEFAULT_EVENTS_REPLAY_MAX_BYTES,
  };
}

/**
 * `trusted_proxies`: addresses and CIDR blocks (or proxy-addr's names `loopback`, `linklocal`,
 * `uniquelocal`) of the proxies whose `X-Forwarded-For` the audit log believes. Checked here with
 * the same parser that reads it per request, so that a typo stops the start instead of trusting nobody.
 */
function readTrustedProxies(rest: OptionReader): string[] {
  const entries = rest.stringList('trusted_proxies') ?? [];
  for (const entry of entries) {
    try {
      proxyaddr.compile(entry);
    } catch {
      throw rest.fail(
        'trusted_proxies',
        `${JSON.stringify(entry)} is not an address, a CIDR block or loopback/linklocal/uniquelocal`,
      );
    }
  }
  return entries;
}

export function unknownRestOptions(rest: OptionReader): string[] {
  return rest.keys().filter((key) => !KNOWN_OPTIONS.has(key));
}

/** A URL path option: leading '/' added (salt-api strips and re-adds it), trailing '/' dropped. */
function urlPath(rest: OptionReader, key: string, fallback: string): string {
  const value = rest.string(key);
  if (value === undefined) return fallback;
  const trimmed = value.trim().replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '' && key !== 'root_prefix') throw rest.fail(key, `must be a URL path, got ${describeValue(value)}`);
  return `/${trimmed}`;
}

/**
 * `api_acl` as salt_api_acl_tool (salt/netapi/rest_cherrypy/app.py) reads it: absent or empty,
 * no check (undefined); set but without a non-empty `users`, the tool answers None and every
 * login is refused (an empty table).
 */
/** The keys of `api_acl` (under `users`, user names). */
export const API_ACL_KEYS: readonly string[] = ['users'];

function readApiAcl(rest: OptionReader): Record<string, string[]> | undefined {
  const apiAcl = rest.nested('api_acl');
  if (apiAcl === undefined || apiAcl.keys().length === 0) return undefined;
  const users = apiAcl.nested('users');
  const acl = emptyDict<string[]>();
  for (const user of users?.keys() ?? []) acl[user] = users?.stringList(user) ?? [];
  return acl;
}

function readCorsOrigin(rest: OptionReader): string | string[] | undefined {
  return typeof rest.raw('cors_origin') === 'string' ? rest.string('cors_origin') : rest.stringList('cors_origin');
}

/** `host`: the command line's --host (checked there) or the file's value, which must be an address. */
function listenHost(rest: OptionReader, override: string | undefined): string {
  if (override !== undefined) return override;
  const host = rest.string('host');
  if (host === undefined) return '0.0.0.0';
  const problem = listenHostProblem(host);
  if (problem !== undefined) throw rest.fail('host', problem);
  return host;
}

export function buildRestSettings(
  rest: OptionReader,
  port: number,
  overrides: { host?: string | undefined },
): RestSettings {
  return {
    port,
    host: listenHost(rest, overrides.host),
    disableSsl: rest.boolean('disable_ssl') ?? false,
    sslCrt: rest.string('ssl_crt'),
    sslKey: rest.string('ssl_key'),
    sslChain: rest.string('ssl_chain'),
    sslCaCerts: rest.string('ssl_ca_certs'),
    sslCertReqs: rest.oneOf('ssl_cert_reqs', CERT_REQS),
    sslAllowedCn: rest.stringList('ssl_allowed_cn'),
    sslMinVersion: rest.oneOf('ssl_min_version', TLS_VERSIONS) ?? DEFAULT_SSL_MIN_VERSION,
    sslCiphers: rest.string('ssl_ciphers') ?? DEFAULT_SSL_CIPHERS,
    debug: rest.boolean('debug') ?? false,
    logAccessFile: rest.string('log_access_file') ?? '',
    logErrorFile: rest.string('log_error_file') ?? '',
    logAuditFile: rest.string('log_audit_file') ?? '',
    trustedProxies: readTrustedProxies(rest),
    threadPool: rest.integer('thread_pool', 1) ?? 100,
    // salt-api's default of 30 (CherryPy's, sized for a thread pool) drops a burst of connections to
    // the kernel's 1 s SYN retry: 1,000 streams reconnecting took 2.8 s instead of 0.65 s.
    socketQueueSize: rest.integer('socket_queue_size', 0) ?? rest.integer('queue_size', 0) ?? DEFAULT_SOCKET_QUEUE,
    expireResponses: rest.boolean('expire_responses') ?? true,
    maxRequestBodySize: rest.integer('max_request_body_size', 0) ?? 1048576,
    collectStats: rest.boolean('collect_stats') ?? false,
    statsDisableAuth: rest.boolean('stats_disable_auth') ?? false,
    static: rest.string('static'),
    staticPath: rest.string('static_path') ?? '/static',
    app: rest.string('app'),
    appPath: rest.string('app_path') ?? '/app',
    rootPrefix: urlPath(rest, 'root_prefix', '/'),
    webhookUrl: urlPath(rest, 'webhook_url', '/hook'),
    webhookDisableAuth: rest.boolean('webhook_disable_auth') ?? false,
    enableSessions: rest.boolean('enable_sessions') ?? true,
    sessionStore: rest.oneOf('session_store', ['ram', 'cache'] as const) ?? 'ram',
    sessionStoreTimeout: readSessionStoreTimeout(rest),
    apiAcl: readApiAcl(rest),
    authorizedIps: rest.stringList('authorized_ips'),
    favicon: rest.string('favicon'),
    corsOrigin: readCorsOrigin(rest),
    eventsUrlTokens: rest.boolean('events_url_tokens') ?? true,
    sshPamInProcess: rest.boolean('ssh_pam_in_process') ?? true,
    webhooks: readWebhookRules(rest),
    eventHub: readEventHub(rest),
    metrics: rest.boolean('metrics') ?? true,
    metricsPath: urlPath(rest, 'metrics_path', '/metrics'),
    metricsDisableAuth: rest.boolean('metrics_disable_auth') ?? false,
    metricsTokenFile: rest.string('metrics_token_file'),
    eventsIds: rest.boolean('events_ids') ?? false,
    coalesceJobChecks: rest.boolean('coalesce_job_checks') ?? true,
    adaptiveJobLimit: rest.boolean('adaptive_job_limit') ?? true,
    maxSyncJobs: rest.integer('max_sync_jobs', 1) ?? 1_024,
    workers: readWorkers(rest),
    eventsReplay: readEventsReplay(rest),
    maxSessions: rest.integer('max_sessions', 1) ?? 10_000,
    maxSessionsPerUser: rest.integer('max_sessions_per_user', 1) ?? 100,
    maxStreamsPerSession: rest.integer('max_streams_per_session', 0) ?? DEFAULT_MAX_STREAMS_PER_SESSION,
    maxStreamsPerUser: rest.integer('max_streams_per_user', 0) ?? DEFAULT_MAX_STREAMS_PER_USER,
    loginMaxFailures: rest.integer('login_max_failures', 0) ?? 5,
    loginFailureWindow: rest.integer('login_failure_window', 0) ?? 300,
    shutdownTimeout: rest.seconds('shutdown_timeout') ?? DEFAULT_SHUTDOWN_TIMEOUT,
  };
}
