/**
 * The decorations of the application (the context every other plugin reads): the settings, the
 * master as the HTTP layer sees it, the lowstate dispatcher, the event bus, sessions, open streams,
 * the credential guard and the auth gates, and `reply.sendSalt`. The HTTP layer reaches the master
 * only through these; without one, every command answers "Salt Master is not available.".
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import fp from 'fastify-plugin';
import type { Settings } from '../config/types.js';
import type { TokenRecord } from '../salt/clear-commands.js';
import type { SaltMap } from '../salt/codec/values.js';
import type { LowstateRunner } from '../salt/clients/netapi.js';
import { MasterUnavailableError } from '../salt/errors.js';
import { Subscription, type SubscriptionOptions } from '../salt/subscription.js';
import { createAuthGate, type AuthGate } from './auth/auth.js';
import { CredentialGuard } from './auth/credential-guard.js';
import { HttpError } from './transport/errors.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { negotiateResponse, type ResponseMediaType } from './transport/negotiate.js';
import { PLUGIN } from './plugin-names.js';
import { serialize, serializeBody } from './transport/serialize.js';
import { countStreamedBytes } from './stats/streamed-bytes.js';
import type { Readable } from 'node:stream';
import { SessionStore } from './auth/sessions.js';
import { StreamRegistry } from './streams/streams.js';
import type { SaltApidMetrics } from './stats/metrics.js';
import { Readiness } from './stats/readiness.js';
import { WebhookGate } from './webhooks/gate.js';
import { EventRing } from './streams/event-ring.js';
import { TokenChecks } from './auth/token-checks.js';
import type { SaltEvent } from '../salt/event-frame.js';
import type { MasterHealth } from '../salt/master.js';
import type { CacheHealth } from '../salt/cache/salt-cache.js';
import type { AuditTrail } from './audit/audit-trail.js';
import type { StreamFeedStats } from '../salt/stream-feed/stream-feed.js';

declare module 'fastify' {
  interface FastifyInstance {
    settings: Settings;
    /** The master as the HTTP layer sees it: reachability and the token commands. */
    master: MasterGateway;
    /** The lowstate client dispatcher. */
    netapi: LowstateRunner;
    sessions: SessionStore;
    /** Gate of the protected routes: a session whose Salt token the master still honours. */
    authGate: AuthGate;
    /** salt-api's own gate: a session holding a Salt token (for /logout, which never asks the master). */
    sessionGate: AuthGate;
    /** The master's event bus: subscriptions for the streams, firing for /hook. */
    events: EventGateway;
    /** The event streams open now. */
    streams: StreamRegistry;
    /** api_acl and the login throttle, wherever credentials are presented. */
    credentialGuard: CredentialGuard;
    /** The `webhooks` rules of `/hook`, with their counts. */
    webhooks: WebhookGate;
    /** Prometheus metrics (`/metrics`); undefined with `metrics: false` (prom-client is not even loaded). */
    metrics: SaltApidMetrics | undefined;
    /** `/readyz`'s check of the master connection. */
    readiness: Readiness;
    /** The master's word on Salt tokens presented to the streams, shared between connections. */
    tokenChecks: TokenChecks;
    /** `events_ids`: the ring resumable `/events` streams replay from; undefined when off. */
    eventRing: EventRing | undefined;
    /** `log_audit_file`: the audit log (src/http/audit/); undefined when it is not set. */
    audit: AuditTrail | undefined;
  }
  interface FastifyReply {
    /**
     * Sends `value` as salt-api does: serialised in the format the Accept header picks, with
     * `Content-Type` exactly `application/json` or `application/x-yaml`. Throws 406 when no
     * format is acceptable — after the handler ran, as in salt-api
     * (docs/routes.md "Request pipeline order").
     */
    sendSalt(value: unknown): FastifyReply;
    /**
     * sendSalt for a value that never changes (the welcome document): serialised once per media
     * type, then the same bytes every time.
     */
    sendSaltConstant(value: object): FastifyReply;
  }
}

/** What the HTTP layer uses of a SaltMaster (src/salt/master.ts). */
export interface MasterGateway {
  /** salt-api's "is the master running" test. */
  readonly available: boolean;
  readonly commands: {
    mkToken(credentials: SaltMap): Promise<TokenRecord | null>;
    getToken(token: string): Promise<TokenRecord | null>;
  };
  /** The connection's health, for /readyz and /metrics; absent, /readyz says not ready. */
  readonly health?: MasterHealth;
}

/** What the event routes need from the master's event bus. */
export interface EventGateway {
  subscribe(options?: SubscriptionOptions): Subscription;
  fire(tag: string, data: SaltMap): Promise<void>;
  /** Every event, synchronously, before any subscription (EventBus.tap). */
  tap?(listener: (event: SaltEvent) => void): () => void;
  /** Where the streams read the bus with a reader of their own: how it fares (/readyz, /metrics). */
  streamReader?(): Pick<StreamFeedStats, 'started' | 'connected' | 'restarts'>;
  /**
   * Where that reader starts with the first stream: starts it, and resolves once it reads the bus
   * (or could not), so that a client told its stream is open misses nothing it then causes.
   */
  ready?(): Promise<void>;
}

export interface AppContextOptions {
  settings: Settings;
  /** The master connection; without one every command answers "Salt Master is not available.". */
  master?: MasterGateway | undefined;
  netapi?: LowstateRunner | undefined;
  sessions?: SessionStore | undefined;
  events?: EventGateway | undefined;
  /** The session store's cache server (Redis), when it has one: /readyz and /metrics watch it. */
  cacheHealth?: CacheHealth | undefined;
  /** `log_audit_file`'s trail; none without the option. */
  audit?: AuditTrail | undefined;
}

const notConnected = (): Promise<never> => Promise.reject(new MasterUnavailableError('no master connection'));

/** Stands in for the master when the app is built without one (tests of the HTTP core). */
const DETACHED_MASTER: MasterGateway = {
  available: false,
  commands: { mkToken: notConnected, getToken: notConnected },
};
const DETACHED_NETAPI: LowstateRunner = { masterAvailable: false, run: notConnected };
const DETACHED_EVENTS: EventGateway = {
  subscribe: () => {
    const sub = new Subscription();
    sub.close(new MasterUnavailableError('no master connection'));
    return sub;
  },
  fire: notConnected,
};

/** How often streams check that their shared session still exists (a logout on another instance). */
const SHARED_SESSION_CHECK_MS = 5_000;
/** How often expired sessions are flushed from the shared store (localfs keeps them otherwise). */
const SHARED_SESSION_SWEEP_MS = 600_000;

/**
 * `session_store: cache`: a session logged out on another instance ends the streams it has open
 * here within seconds, and sessions past their expiry are flushed from the cache.
 */
function watchSharedSessions(app: FastifyInstance, sessions: SessionStore, streams: StreamRegistry): void {
  const check = setInterval(() => {
    const ids = streams.sessionIds();
    if (ids.size > 0)
      void sessions
        .endGoneSessions(ids)
        .catch((error: unknown) => app.log.warn({ error }, 'shared session check failed'));
  }, SHARED_SESSION_CHECK_MS);
  const sweep = setInterval(() => {
    void sessions.sweepShared().catch((error: unknown) => app.log.warn({ error }, 'shared session sweep failed'));
  }, SHARED_SESSION_SWEEP_MS);
  check.unref();
  sweep.unref();
  app.addHook('onClose', async () => {
    clearInterval(check);
    clearInterval(sweep);
  });
}

/** The bytes of the constant answers, by value and media type. */
const constantBodies = new WeakMap<object, Map<string, Buffer>>();

/** The media type the request's Accept header picks, or the 400/406 salt-api answers instead. */
function answerMediaType(reply: FastifyReply): ResponseMediaType {
  const negotiated = negotiateResponse(reply.request.headers.accept);
  if (!negotiated.ok) throw new HttpError(negotiated.status, negotiated.message);
  return negotiated.mediaType;
}

function sendSaltConstant(this: FastifyReply, value: object): FastifyReply {
  const mediaType = answerMediaType(this);
  let bodies = constantBodies.get(value);
  if (bodies === undefined) constantBodies.set(value, (bodies = new Map<string, Buffer>()));
  let body = bodies.get(mediaType);
  if (body === undefined) bodies.set(mediaType, (body = Buffer.from(serialize(value, mediaType))));
  return this.type(mediaType).send(body);
}

function sendSalt(this: FastifyReply, value: unknown): FastifyReply {
  const mediaType = answerMediaType(this);
  let body: Buffer | Readable;
  try {
    body = serializeBody(value, mediaType, countStreamedBytes(this.raw));
  } catch (cause) {
    throw new HttpError(500, 'Could not serialize the return data from Salt.', { cause });
  }
  // A Buffer (or a stream of them) keeps Fastify from appending `; charset=utf-8` to a JSON Content-Type.
  return this.type(mediaType).send(body);
}

/** What the metrics read their figures from. */
interface MetricsInputs {
  sessions: SessionStore;
  streams: StreamRegistry;
  credentialGuard: CredentialGuard;
  webhooks: WebhookGate;
  cacheHealth: CacheHealth | undefined;
}

/**
 * The Prometheus metrics, observing every answer and every request to the master. prom-client is
 * loaded here, only when `metrics` is on.
 */
async function observedMetrics(
  app: FastifyInstance,
  master: MasterGateway,
  { sessions, streams, credentialGuard, webhooks, cacheHealth }: MetricsInputs,
): Promise<SaltApidMetrics> {
  const { SaltApidMetrics } = await import('./stats/metrics.js');
  const { workerSlot } = await import('./stats/worker-slot.js');
  const metrics = new SaltApidMetrics(
    {
      sessions: () => sessions.size,
      streams: () => streams.stats(),
      streamRefusals: () => streams.refusals(),
      replay: () => app.eventRing?.stats(),
      credentials: () => credentialGuard.counts(),
      webhooks: () => webhooks.stats(),
      bus: () => master.health?.busStats(),
      liveness: () => app.netapi.livenessChecks?.(),
      admission: () => app.netapi.jobAdmission?.(),
      sessionCache: () => cacheHealth && { driver: cacheHealth.driver, ...cacheHealth.status() },
      sessionEvictions: () => sessions.evictions(),
      tokenLookups: () => app.tokenChecks.lookups(),
      auditDropped: () => app.audit?.dropped,
      streamReader: () => app.events.streamReader?.(),
    },
    { worker: workerSlot() },
  );
  master.health?.observeRequests((command, seconds, outcome) => metrics.observeMaster(command, seconds, outcome));
  // Every answer, the 404 page and early refusals included: registered first, it applies to all.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.is404 ? undefined : request.routeOptions.url;
    metrics.observeHttp(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  return metrics;
}

async function appContext(app: FastifyInstance, options: AppContextOptions): Promise<void> {
  const { rest } = options.settings;
  const master = options.master ?? DETACHED_MASTER;
  const sessions =
    options.sessions ??
    new SessionStore({ maxSessions: rest.maxSessions, maxSessionsPerUser: rest.maxSessionsPerUser });
  // A token a session holds is known: only tokens presented bare are held to the lookup limits.
  const tokenChecks = new TokenChecks(master, { isHeld: (token) => sessions.holdsToken(token) });
  const gates = createAuthGate({ store: sessions, checks: tokenChecks });
  app.decorate('settings', options.settings);
  app.decorate('master', master);
  app.decorate('netapi', options.netapi ?? DETACHED_NETAPI);
  app.decorate('sessions', sessions);
  const events = options.events ?? DETACHED_EVENTS;
  app.decorate('events', events);
  const streams = new StreamRegistry({ perSession: rest.maxStreamsPerSession, perUser: rest.maxStreamsPerUser });
  app.decorate('streams', streams);
  sessions.onEnd((id) => streams.closeSession(id, 'session ended'));
  // Open streams would hold app.close() forever: end them, and wait for their last bytes to go
  // out, so that Fastify finds their connections idle and closes them at once.
  app.addHook('preClose', async () => streams.drain('shutting down', 2_000));
  if (sessions.shared) watchSharedSessions(app, sessions, streams);
  const credentialGuard = new CredentialGuard({
    apiAcl: rest.apiAcl,
    throttle: new LoginThrottle({ maxFailures: rest.loginMaxFailures, windowSeconds: rest.loginFailureWindow }),
  });
  app.decorate('credentialGuard', credentialGuard);
  const webhooks = new WebhookGate(rest.webhooks, app.log.child({ component: 'webhooks' }));
  app.decorate('webhooks', webhooks);
  app.decorate(
    'metrics',
    rest.metrics
      ? await observedMetrics(app, master, {
          sessions,
          streams,
          credentialGuard,
          webhooks,
          cacheHealth: options.cacheHealth,
        })
      : undefined,
  );
  app.decorate(
    'readiness',
    new Readiness(master.health, {
      cache: options.cacheHealth,
      // A reader not started yet (no stream so far) is nothing to wait for.
      streams: () => {
        const reader = events.streamReader?.();
        return reader === undefined || !reader.started || reader.connected;
      },
    }),
  );
  const ring = rest.eventsIds ? new EventRing(rest.eventsReplay) : undefined;
  if (ring !== undefined) {
    const untap = events.tap?.((event) => ring.record(event));
    app.addHook('onClose', async () => untap?.());
  }
  app.decorate('eventRing', ring);
  app.decorate('audit', options.audit);
  app.decorate('tokenChecks', tokenChecks);
  app.decorate('authGate', gates.gate);
  app.decorate('sessionGate', gates.sessionGate);
  app.decorateRequest('saltSession', null);
  app.decorateReply('sendSalt', sendSalt);
  app.decorateReply('sendSaltConstant', sendSaltConstant);
}

export const appContextPlugin = fp(appContext, { name: PLUGIN.context });
