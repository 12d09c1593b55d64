/**
 * RestSettings from the `rest_cherrypy:` section, each option with its salt-api default
 * (rest-api.md §1.3) and salt-apid's extensions (`cors_origin`, `events_url_tokens`).
 */
import type { CertReqs, RestSettings } from './types.js';
import { listenHostProblem } from './listen-host.js';
import { describeValue, type OptionReader } from './option-reader.js';

const KNOWN_OPTIONS = new Set([
  'port', 'host', 'disable_ssl', 'ssl_crt', 'ssl_key', 'ssl_chain', 'ssl_ca_certs', 'ssl_cert_reqs',
  'ssl_allowed_cn', 'debug', 'log_access_file', 'log_error_file', 'thread_pool', 'socket_queue_size',
  'queue_size', 'expire_responses', 'max_request_body_size', 'collect_stats', 'stats_disable_auth',
  'static', 'static_path', 'app', 'app_path', 'root_prefix', 'webhook_url', 'webhook_disable_auth',
  'enable_sessions', 'session_store', 'api_acl', 'authorized_ips', 'favicon', 'cors_origin',
  'events_url_tokens', 'event_pull_framing',
]);

const CERT_REQS: readonly CertReqs[] = ['CERT_NONE', 'CERT_OPTIONAL', 'CERT_REQUIRED'];

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

function readApiAcl(rest: OptionReader): Record<string, string[]> | undefined {
  const users = rest.nested('api_acl')?.nested('users');
  if (users === undefined) return undefined;
  const acl: Record<string, string[]> = {};
  for (const user of users.keys()) acl[user] = users.stringList(user) ?? [];
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
    debug: rest.boolean('debug') ?? false,
    logAccessFile: rest.string('log_access_file') ?? '',
    logErrorFile: rest.string('log_error_file') ?? '',
    threadPool: rest.integer('thread_pool', 1) ?? 100,
    socketQueueSize: rest.integer('socket_queue_size', 0) ?? rest.integer('queue_size', 0) ?? 30,
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
    apiAcl: readApiAcl(rest),
    authorizedIps: rest.stringList('authorized_ips'),
    favicon: rest.string('favicon'),
    corsOrigin: readCorsOrigin(rest),
    eventsUrlTokens: rest.boolean('events_url_tokens') ?? true,
  };
}
