/**
 * The auth gate of the protected routes (docs/routes.md "Sessions and tokens"): the caller's
 * session must hold a Salt token, and — where salt-api only checks that one is present — the master
 * must still know it. The master's answer is reused for a few seconds, never past the token's
 * expiry; a token the master no longer knows ends the session.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { secretsEqual } from './secrets.js';
import type { TokenRecord } from '../../salt/clear-commands.js';
import { HttpError } from '../transport/errors.js';
import {
  cookieOptionsFor,
  newSessionId,
  sessionCookie,
  setSessionCookie,
  type Session,
  type SessionStore,
} from './sessions.js';

/** How long the master's confirmation of a session's token is trusted without asking again. */
export const TOKEN_CHECK_CACHE_MS = 10_000;

export const MASTER_UNAVAILABLE = 'Salt Master is not available.';

export interface AuthGateOptions {
  store: SessionStore;
  /** The master's word on a token, shared with the streams (token-checks.ts). */
  checks: { honoured(token: string): Promise<TokenRecord | null> };
  now?: () => number;
}

/** What the event routes ask of the master about a Salt token presented to them. */
export interface TokenChecker {
  readonly available: boolean;
  readonly commands: { getToken(token: string): Promise<TokenRecord | null> };
}

/**
 * The master's record of a Salt token it still honours (exists, same value, not expired), or
 * null; 503 while the master is unreachable.
 */
export async function honouredRecord(
  master: TokenChecker,
  token: string,
  now: () => number = Date.now,
): Promise<TokenRecord | null> {
  if (!master.available) throw new HttpError(503, MASTER_UNAVAILABLE);
  const record = await master.commands.getToken(token);
  if (record === null || !secretsEqual(record.token, token) || record.expire * 1000 <= now()) return null;
  return record;
}

/** CherryPy's stock 401 ("No permission -- see authorization schemes"). */
export function noPermission(): HttpError {
  return new HttpError(401);
}

export type AuthGate = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The session of a request that passed the gate. */
export function gatedSession(request: FastifyRequest): Session {
  const session = request.saltSession?.session;
  if (session === undefined) throw noPermission();
  return session;
}

export function createAuthGate(options: AuthGateOptions): { gate: AuthGate; sessionGate: AuthGate } {
  const now = options.now ?? Date.now;

  async function validate(session: Session): Promise<boolean> {
    if (now() >= session.token.expire * 1000) return false;
    return (await options.checks.honoured(session.token.token)) !== null;
  }

  /** Session with a Salt token the master still honours; `Cache-Control: private` on success. */
  const gate: AuthGate = async (request, reply) => {
    const state = request.saltSession;
    const session = state?.session;
    if (state === null || state === undefined || session === undefined) throw noPermission();
    if (!(await validate(session))) {
      await options.store.remove(session.id);
      state.id = newSessionId();
      state.session = undefined;
      setSessionCookie(reply, sessionCookie(state.id, cookieOptionsFor(request)));
      throw noPermission();
    }
    reply.header('Cache-Control', 'private');
  };

  /** salt-api's own gate: a Salt token in the session is enough (for /logout, which never asks the master). */
  const sessionGate: AuthGate = async (request, reply) => {
    if (request.saltSession?.session === undefined) throw noPermission();
    reply.header('Cache-Control', 'private');
  };

  return { gate, sessionGate };
}
