/**
 * HTTP sessions as rest_cherrypy keeps them (docs/routes.md "Sessions and tokens"): an in-memory
 * map from a random 40-hex session id to the Salt token minted at /login, a sliding idle lifetime
 * of ten hours, and the `session_id` cookie on every response of a session route.
 *
 * Only sessions that hold a Salt token are stored: an unknown or absent id is answered with a
 * fresh id that exists only in the cookie until /login fills it, so unauthenticated traffic can
 * neither grow the store nor push logged-in sessions out of it.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenRecord } from '../../salt/clear-commands.js';

/** CherryPy's `tools.sessions.timeout` of 600 minutes, and the cookie's Max-Age. */
export const SESSION_LIFETIME_SECONDS = 36_000;
export const SESSION_COOKIE = 'session_id';
export const DEFAULT_MAX_SESSIONS = 10_000;
export const DEFAULT_MAX_SESSIONS_PER_USER = 100;

export interface Session {
  readonly id: string;
  /** The Salt token record the master minted at /login. */
  token: TokenRecord;
  /** Whose session it is: the token's eauth backend and user name (see {@link sessionOwner}). */
  readonly owner: string;
  /** Epoch ms of the last request that used the session. */
  lastUsed: number;
  /** Epoch ms when the shared store (`session_store: cache`) last saved it; 0 when it never did. */
  persistedAt: number;
}

/** Where `session_store: cache` keeps sessions for every instance (shared-sessions.ts). */
export interface SharedSessionBackend {
  /** Stores (or refreshes) a session, its expiry `SESSION_LIFETIME_SECONDS` from now. */
  save(session: Session): Promise<void>;
  /** The Salt token of a live session stored by any instance; undefined when there is none. */
  tokenOf(id: string): Promise<string | undefined>;
  remove(id: string): Promise<void>;
  /** Flushes the stored sessions past their expiry (localfs never drops them itself). */
  sweep(): Promise<number>;
  /** Lets go of the store's connection (Redis). */
  close?(): Promise<void>;
}

export interface SessionStoreOptions {
  /** Sessions kept in all; when full, a new login ends the session least worth keeping (see {@link SessionStore}). */
  maxSessions?: number;
  /** Sessions one user (eauth backend + name) may hold; their least recently used one makes room. */
  maxSessionsPerUser?: number;
  lifetimeSeconds?: number;
  now?: () => number;
  /** `session_store: cache`: where every instance finds the sessions (shared-sessions.ts). */
  shared?: SharedSessionBackend | undefined;
  /** The master's record of a Salt token, for a session another instance created. */
  adopt?: ((token: string) => Promise<TokenRecord | null>) | undefined;
}

/** A session in use is saved again to the shared store at most this often (its expiry slides). */
const PERSIST_EVERY_MS = 60_000;

/** Called with the id of every session that ends (logout, expiry, eviction). */
export type SessionEndListener = (id: string) => void;

/** Sessions ended to make room for a login, since start (for metrics). */
export interface SessionEvictions {
  /** The user was at `max_sessions_per_user`: their own least recently used session went. */
  userLimit: number;
  /** The store was at `max_sessions`: see {@link SessionStore}. */
  storeFull: number;
}

/** 20 random bytes as 40 hex digits, like CherryPy's `generate_id`. */
export function newSessionId(): string {
  return randomBytes(20).toString('hex');
}

/** True for what {@link newSessionId} makes: exactly 40 lower-case hex digits. */
export function isSessionIdShape(value: string): boolean {
  return /^[0-9a-f]{40}$/.test(value);
}

/** The identity sessions are counted under: eauth backend and user name of the Salt token. */
export function sessionOwner(token: TokenRecord): string {
  return `${token.eauth}\u0000${token.name}`;
}

/**
 * The sessions, bounded per user and in all (docs/decisions/0020-login-and-token-abuse.md). A
 * user at their bound makes room by ending their own least recently used session. A login into a
 * full store (after sessions idle too long and those whose Salt token expired are cleared) always
 * succeeds: it ends the oldest session nobody has used since its login, else the least recently
 * used session of all. A flood of logins under new names — any eauth that takes any name, such
 * as `auto`, can make them — thus ends its own sessions first and never locks anyone out; a
 * session in use outlives every session that is not.
 */
export class SessionStore {
  /** Insertion order is least-recently-used first: a used session is moved to the end. */
  private readonly sessions = new Map<string, Session>();
  /** Each owner's session ids, least recently used first. */
  private readonly byOwner = new Map<string, Set<string>>();
  /** Ids of the sessions not used since their login, oldest first: the first to go when the store is full. */
  private readonly unused = new Set<string>();
  /** How many sessions hold each Salt token (token-checks.ts asks about tokens it has not seen). */
  private readonly heldTokens = new Map<string, number>();
  private readonly evicted: SessionEvictions = { userLimit: 0, storeFull: 0 };
  private readonly maxSessions: number;
  private readonly maxPerUser: number;
  private readonly lifetimeMs: number;
  private readonly now: () => number;
  private readonly endListeners: SessionEndListener[] = [];

  constructor(private readonly options: SessionStoreOptions = {}) {
    this.maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.maxPerUser = options.maxSessionsPerUser ?? DEFAULT_MAX_SESSIONS_PER_USER;
    this.lifetimeMs = (options.lifetimeSeconds ?? SESSION_LIFETIME_SECONDS) * 1000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions ended to make room for logins, since start. */
  evictions(): Readonly<SessionEvictions> {
    return { ...this.evicted };
  }

  /** Whether a session here holds this Salt token. */
  holdsToken(token: string): boolean {
    return this.heldTokens.has(token);
  }

  /** How many sessions `owner` (see {@link sessionOwner}) holds. */
  countOf(owner: string): number {
    return this.byOwner.get(owner)?.size ?? 0;
  }

  /** The live session with this id, its idle timer restarted; undefined when unknown or idle too long. */
  use(id: string): Session | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.now();
    if (now - session.lastUsed > this.lifetimeMs) {
      this.end(id);
      return undefined;
    }
    session.lastUsed = now;
    this.unused.delete(id);
    this.sessions.delete(id);
    this.sessions.set(id, session);
    const owned = this.byOwner.get(session.owner);
    owned?.delete(id);
    owned?.add(id);
    return session;
  }

  /** Stores the session `id` with a freshly minted Salt token, making room as the class says. */
  save(id: string, token: TokenRecord): Session {
    this.end(id);
    this.sweepIdle();
    const owner = sessionOwner(token);
    while (this.countOf(owner) >= this.maxPerUser && this.endOldestOf(owner)) this.evicted.userLimit++;
    if (this.sessions.size >= this.maxSessions) this.sweepExpiredTokens();
    while (this.sessions.size >= this.maxSessions && this.endLeastWorthKeeping()) this.evicted.storeFull++;
    const session: Session = { id, token, owner, lastUsed: this.now(), persistedAt: 0 };
    this.sessions.set(id, session);
    this.unused.add(id);
    this.heldTokens.set(token.token, (this.heldTokens.get(token.token) ?? 0) + 1);
    let owned = this.byOwner.get(owner);
    if (owned === undefined) {
      owned = new Set();
      this.byOwner.set(owner, owned);
    }
    owned.add(id);
    return session;
  }

  delete(id: string): void {
    this.end(id);
  }

  /** Whether sessions are shared with other instances (`session_store: cache`). */
  get shared(): boolean {
    return this.options.shared !== undefined;
  }

  /**
   * The live session `id` names. Shared: only if the cache still holds it (a logout anywhere
   * ends it here too), adopting one another instance created; otherwise {@link use}.
   */
  async resolve(id: string): Promise<Session | undefined> {
    const shared = this.options.shared;
    if (shared === undefined) return this.use(id);
    const token = await shared.tokenOf(id);
    if (token === undefined) {
      this.end(id);
      return undefined;
    }
    const local = this.use(id);
    if (local?.token.token === token) {
      if (this.now() - local.persistedAt > PERSIST_EVERY_MS) void this.persist(local).catch(() => undefined);
      return local;
    }
    const record = await this.options.adopt?.(token);
    if (record === null || record === undefined) return undefined;
    const adopted = this.save(id, record);
    // Adopted by a request that uses it.
    this.unused.delete(id);
    adopted.persistedAt = this.now();
    return adopted;
  }

  /**
   * An id for a new session. Shared, it is one the cache does not hold yet, as CherryPy's session
   * tool makes sure of when it makes one up: a cache that is down fails the request here, before
   * /login asks the master for a token it could not keep (salt-api's order).
   */
  async freshId(): Promise<string> {
    const shared = this.options.shared;
    for (;;) {
      const id = newSessionId();
      if (shared === undefined || (await shared.tokenOf(id)) === undefined) return id;
    }
  }

  /** Saves a new or used session where the other instances find it (no-op without sharing). */
  async persist(session: Session): Promise<void> {
    const shared = this.options.shared;
    if (shared === undefined) return;
    session.persistedAt = this.now();
    await shared.save(session);
  }

  /** Ends a session here and, shared, everywhere. */
  async remove(id: string): Promise<void> {
    this.end(id);
    await this.options.shared?.remove(id);
  }

  /** Closes the shared store's connection, if it has one. */
  async close(): Promise<void> {
    await this.options.shared?.close?.();
  }

  /** Flushes expired sessions from the shared store; how many. */
  async sweepShared(): Promise<number> {
    return (await this.options.shared?.sweep()) ?? 0;
  }

  /** Of `ids`, those the shared store no longer holds, ended here too (their streams close). */
  async endGoneSessions(ids: Iterable<string>): Promise<string[]> {
    const shared = this.options.shared;
    if (shared === undefined) return [];
    const gone: string[] = [];
    for (const id of ids) {
      if ((await shared.tokenOf(id)) !== undefined) continue;
      this.end(id);
      gone.push(id);
    }
    return gone;
  }

  onEnd(listener: SessionEndListener): void {
    this.endListeners.push(listener);
  }

  /** Removes the session and tells the listeners; false when there was none. */
  private end(id: string): boolean {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    this.sessions.delete(id);
    this.unused.delete(id);
    const owned = this.byOwner.get(session.owner);
    owned?.delete(id);
    if (owned?.size === 0) this.byOwner.delete(session.owner);
    const holders = this.heldTokens.get(session.token.token);
    if (holders !== undefined && holders > 1) this.heldTokens.set(session.token.token, holders - 1);
    else this.heldTokens.delete(session.token.token);
    for (const listener of this.endListeners) listener(id);
    return true;
  }

  /** Makes room in a full store: the oldest session not used since its login, else the least recently used. */
  private endLeastWorthKeeping(): boolean {
    const victim = this.unused.values().next().value ?? this.sessions.keys().next().value;
    return victim !== undefined && this.end(victim);
  }

  private endOldestOf(owner: string): boolean {
    const oldest = this.byOwner.get(owner)?.values().next().value;
    return oldest !== undefined && this.end(oldest);
  }

  /** Drops sessions idle too long; they sit at the front of the least-recently-used order. */
  private sweepIdle(): void {
    const oldestAllowed = this.now() - this.lifetimeMs;
    for (const [id, session] of this.sessions) {
      if (session.lastUsed >= oldestAllowed) break;
      this.end(id);
    }
  }

  /** Drops every session whose Salt token has expired (only when the store is full: a full scan). */
  private sweepExpiredTokens(): void {
    const nowSeconds = this.now() / 1000;
    for (const [id, session] of this.sessions) if (session.token.expire <= nowSeconds) this.end(id);
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
    /** Set on session routes by {@link installSessions}; null elsewhere (decorated in context.ts). */
    saltSession: RequestSession | null;
  }
}

/**
 * The session id a request presents: a non-empty `X-Auth-Token` header, else the `session_id`
 * cookie (docs/routes.md "Request pipeline order").
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
    // An id of another form cannot be one of ours: no lookup.
    const session =
      presented === undefined || !isSessionIdShape(presented) ? undefined : await store.resolve(presented);
    const id = session?.id ?? newSessionId();
    request.saltSession = { id, session };
    setSessionCookie(reply, sessionCookie(id, cookieOptionsFor(request)));
  });
}
