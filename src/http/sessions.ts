/**
 * HTTP sessions as rest_cherrypy keeps them (rest-api.md §4.1, §4.2): an in-memory map from a
 * random 40-hex session id to the Salt token minted at /login, a sliding idle lifetime of ten
 * hours, and the `session_id` cookie on every response of a session route.
 *
 * Only sessions that hold a Salt token are stored: an unknown or absent id is answered with a
 * fresh id that exists only in the cookie until /login fills it, so unauthenticated traffic can
 * neither grow the store nor push logged-in sessions out of it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenRecord } from '../salt/clear-commands.js';

/** CherryPy's `tools.sessions.timeout` of 600 minutes, and the cookie's Max-Age. */
export const SESSION_LIFETIME_SECONDS = 36_000;
export const SESSION_COOKIE = 'session_id';
const DEFAULT_MAX_SESSIONS = 10_000;

export interface Session {
  readonly id: string;
  /** The Salt token record the master minted at /login. */
  token: TokenRecord;
  /** Epoch ms of the last request that used the session. */
  lastUsed: number;
  /** Epoch ms until which the master's word on the token may be reused (see auth.ts). */
  validatedUntil: number;
}

export interface SessionStoreOptions {
  maxSessions?: number;
  lifetimeSeconds?: number;
  now?: () => number;
}

/** Called with the id of every session that ends (logout, expiry, eviction). */
export type SessionEndListener = (id: string) => void;

/** 20 random bytes as 40 hex digits, like CherryPy's `generate_id`. */
export function newSessionId(): string {
  return randomBytes(20).toString('hex');
}

export class SessionStore {
  /** Insertion order is least-recently-used first: a used session is moved to the end. */
  private readonly sessions = new Map<string, Session>();
  private readonly maxSessions: number;
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly endListeners: SessionEndListener[] = [];

  constructor(options: SessionStoreOptions = {}) {
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.lifetimeMs = (options.lifetimeSeconds ?? SESSION_LIFETIME_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** The live session with this id, its idle timer restarted; undefined when unknown or idle too long. */
  use(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    this.sessions.delete(id);
    const now = this.now();
    if (now - session.lastUsed > this.lifetimeMs) {
      this.ended(id);
      return undefined;
    }
    session.lastUsed = now;
    this.sessions.set(id, session);
    return session;
  }

  /** Stores (or refills) the session `id` with a freshly minted Salt token. */
  save(id: string, token: TokenRecord): Session {
    this.sessions.delete(id);
    this.sweep();
    const session: Session = { id, token, lastUsed: this.now(), validatedUntil: 0 };
    this.sessions.set(id, session);
    return session;
  }

  delete(id: string): void {
    if (this.sessions.delete(id)) this.ended(id);
  }

  onEnd(listener: SessionEndListener): void {
    this.endListeners.push(listener);
  }

  private ended(id: string): void {
    for (const listener of this.endListeners) listener(id);
  }

  /** Drops idle sessions from the front and, past the bound, the least recently used ones. */
  private sweep(): void {
    const oldestAllowed = this.now() - this.lifetimeMs;
    for (const [id, session] of this.sessions) {
      if (session.lastUsed >= oldestAllowed && this.sessions.size < this.maxSessions) break;
      this.sessions.delete(id);
      this.ended(id);
    }
  }
}

/** What a session route knows about the caller's session. */
export interface RequestSession {
  /** The id the response's cookie names: the caller's if it is live, else a fresh one. */
  id: string;
  /** The stored session, when the caller presented a live one. */
  session: Session | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set on session routes by {@link installSessions}; null elsewhere (decorated in app.ts). */
    saltSession: RequestSession | null;
  }
}

/**
 * The session id a request presents: a non-empty `X-Auth-Token` header, else the `session_id`
 * cookie (rest-api.md §2 step 2).
 */
export function presentedSessionId(request: FastifyRequest): string | undefined {
  const header = request.headers['x-auth-token'];
  if (typeof header === 'string' && header !== '') return header;
  const cookieHeader = request.headers.cookie;
  if (cookieHeader === undefined) return undefined;
  const id = cookieValue(cookieHeader, SESSION_COOKIE);
  return id === undefined || id === '' ? undefined : id;
}

/** The value of cookie `name` in a `Cookie` header (the last one, as Python's SimpleCookie; quotes dropped). */
export function cookieValue(cookieHeader: string, name: string): string | undefined {
  let found: string | undefined;
  for (const pair of cookieHeader.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    found = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return found;
}

export interface CookieOptions {
  /** Add `Secure`: the request came over TLS. */
  secure?: boolean;
  now?: number;
}

/**
 * What salt-api's cookie lacks, appended after CherryPy's attributes: no script can read the
 * session id (`HttpOnly`), other sites' pages cannot make the browser send it on their requests
 * (`SameSite=Lax`), and under TLS it never travels over plain HTTP (`Secure`).
 */
function hardening(secure: boolean | undefined): string {
  return `; HttpOnly; SameSite=Lax${secure === true ? '; Secure' : ''}`;
}

/** `session_id=<id>; expires=<RFC 1123>; Max-Age=36000; Path=/` (CherryPy's order), then the hardening. */
export function sessionCookie(id: string, options: CookieOptions = {}): string {
  const expires = new Date((options.now ?? Date.now()) + SESSION_LIFETIME_SECONDS * 1000).toUTCString();
  return `${SESSION_COOKIE}=${id}; expires=${expires}; Max-Age=${SESSION_LIFETIME_SECONDS}; Path=/${hardening(options.secure)}`;
}

/** The cookie /logout sends: a new id, expired a year ago (CherryPy's `sessions.expire()`). */
export function expiredSessionCookie(options: CookieOptions = {}): string {
  const expires = new Date((options.now ?? Date.now()) - 365 * 24 * 3600 * 1000).toUTCString();
  return `${SESSION_COOKIE}=${newSessionId()}; expires=${expires}; Path=/${hardening(options.secure)}`;
}

/** Whether the request came over TLS, so that its cookie gets `Secure`. */
export function cookieOptionsFor(request: FastifyRequest): CookieOptions {
  return { secure: request.protocol === 'https' };
}

/** Sets the response's session cookie, replacing one set earlier (Fastify appends Set-Cookie). */
export function setSessionCookie(reply: FastifyReply, cookie: string): void {
  reply.removeHeader('Set-Cookie');
  reply.header('Set-Cookie', cookie);
}

/**
 * Turns every route of `scope` into a session route: the caller's session is looked up before
 * anything else runs, and every answer — errors included — carries the session cookie.
 */
export function installSessions(scope: FastifyInstance, store: SessionStore): void {
  scope.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = presentedSessionId(request);
    const session = presented === undefined ? undefined : store.use(presented);
    const id = session?.id ?? newSessionId();
    request.saltSession = { id, session };
    setSessionCookie(reply, sessionCookie(id, cookieOptionsFor(request)));
  });
}
