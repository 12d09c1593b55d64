/**
 * `login`, `login_failed` and `logout` records (docs/decisions/0030-audit-log.md): who, with which
 * eauth backend, from where; never the password, the Salt token or the session id.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';
import type { SaltMap } from '../../salt/codec/values.js';
import { errorStatus } from '../transport/errors.js';
import { failureOutcome } from './audit-record.js';
import { nameOf, tokenWho } from './chunk-fields.js';

/** A login the master accepted and that now has its session; a session ended by `POST /logout`. */
export function auditSession(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: 'login' | 'logout',
  token: TokenRecord,
): void {
  app.audit?.write(request, {
    kind,
    ...tokenWho(token),
    outcome: 'ran',
    status: 200,
    duration_ms: reply.elapsedTime,
  });
}

/**
 * A login that failed: refused (the master or its eauth backend said no, `api_acl`, the throttle,
 * no credentials at all) or not carried out (the master unavailable, the session store down). The
 * user and backend are those the request gave.
 */
export function auditLoginFailure(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  credentials: SaltMap | undefined,
  error: unknown,
): void {
  const status = errorStatus(error);
  app.audit?.write(request, {
    kind: 'login_failed',
    user: nameOf(credentials?.['username']),
    eauth: nameOf(credentials?.['eauth']),
    outcome: failureOutcome(status),
    status,
    duration_ms: reply.elapsedTime,
  });
}
