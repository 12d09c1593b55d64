/**
 * What a `run` record says of a lowstate chunk: who ran it, its client, function, target and
 * arguments (redacted and bounded), never its own credentials (docs/decisions/0030-audit-log.md).
 */
import type { FastifyRequest } from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';
import type { SaltMap, SaltValue } from '../../salt/codec/values.js';
import { ARGS_LIMITS, auditValue, FIELD_LIMITS, type AuditJson } from './audit-value.js';
import type { AuditWho, RunFields } from './audit-record.js';
import { emptyDict } from '../../dict.js';

/** The chunk's own fields: written as fields of their own (client, fun, tgt) or never (credentials). */
const OWN_FIELDS: ReadonlySet<string> = new Set([
  'client',
  'fun',
  'tgt',
  'tgt_type',
  'username',
  'password',
  'token',
  'eauth',
]);

/** A user name or backend as written: text, cut to a sensible length; null for anything else. */
export function nameOf(value: SaltValue | undefined): string | null {
  return typeof value === 'string' ? value.slice(0, 256) : null;
}

/** Who holds `token` (a session's, a socket's): its user and eauth backend; null fields without one. */
export function tokenWho(token: TokenRecord | undefined): AuditWho {
  return { user: nameOf(token?.name), eauth: nameOf(token?.eauth) };
}

/**
 * Who runs `chunk`: the session's (or socket's) token when there is one; else nobody known yet for a
 * chunk naming a Salt token (the master goes by the token and ignores any `username` beside it: its
 * owner is looked up once the chunk ran); else the chunk's own `username` and `eauth`.
 */
export function chunkWho(chunk: SaltMap, token: TokenRecord | undefined): AuditWho {
  if (token !== undefined) return tokenWho(token);
  if (Object.hasOwn(chunk, 'token')) return { user: null, eauth: null };
  return { user: nameOf(chunk['username']), eauth: nameOf(chunk['eauth']) };
}

function textOf(value: unknown): string | undefined {
  const one = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof one === 'string' && one !== '' ? one : undefined;
}

/** `session_id` of a Cookie header. */
function cookieSession(cookie: string | undefined): string | undefined {
  const match = cookie === undefined ? null : /(?:^|;\s*)session_id=([^;]*)/.exec(cookie);
  return match?.[1] || undefined;
}

/**
 * The secrets the request presented, which no record may hold however they are spelled into its
 * arguments: the X-Auth-Token header, the session cookie, a token in the URL (path or query).
 */
export function presentedSecrets(request: FastifyRequest): string[] {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const query = (request.query ?? {}) as Record<string, unknown>;
  return [
    textOf(request.headers['x-auth-token']),
    cookieSession(request.headers.cookie),
    textOf(params['token']),
    textOf(query['token']),
    textOf(query['salt_token']),
  ].filter((secret): secret is string => secret !== undefined);
}

/** The chunk's own password and token, and its session's Salt token, besides what the request presented. */
export function chunkSecrets(chunk: SaltMap, token: TokenRecord | undefined, presented: readonly string[]): string[] {
  const own = [chunk['password'], chunk['token'], token?.token].filter(
    (secret): secret is string => typeof secret === 'string' && secret !== '',
  );
  return [...own, ...presented];
}

/** The number of positional arguments: `arg`'s length (1 for a scalar `arg`, 0 without one). */
function argCount(chunk: SaltMap): number {
  const arg = chunk['arg'];
  if (arg === undefined) return 0;
  return Array.isArray(arg) ? arg.length : 1;
}

/** The chunk's fields for its `run` record (`jids` apart). */
export function runFields(chunk: SaltMap, secrets: readonly string[]): RunFields {
  const rest = emptyDict<SaltValue>();
  for (const [key, value] of Object.entries(chunk)) if (!OWN_FIELDS.has(key)) rest[key] = value;
  const field = (key: string): AuditJson => auditValue(chunk[key], secrets, FIELD_LIMITS);
  return {
    client: field('client'),
    fun: field('fun'),
    ...(Object.hasOwn(chunk, 'tgt') && { tgt: field('tgt') }),
    ...(Object.hasOwn(chunk, 'tgt_type') && { tgt_type: field('tgt_type') }),
    arg_count: argCount(chunk),
    args: auditValue(rest, secrets, ARGS_LIMITS),
  };
}
