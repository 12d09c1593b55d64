/**
 * The Fastify application: common headers, CORS, body parsers, error mapping, negotiated replies
 * and the routes (docs/routes.md; the order of the checks: "Request pipeline order").
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '../config/types.js';
import { VERSION } from '../version.js';
import type { TokenRecord } from '../salt/clear-commands.js';
import type { SaltMap } from '../salt/codec/values.js';
import type { LowstateRunner } from '../salt/clients/netapi.js';
import { MasterUnavailableError } from '../salt/errors.js';
import { Subscription, type SubscriptionOptions } from '../salt/subscription.js';
import { createAuthGate, type AuthGate } from './auth.js';
import { installBodyParsers } from './body.js';
import { installCors } from './cors.js';
import { HTML_CONTENT_TYPE, HttpError, installErrorHandling } from './errors.js';
import { installHtmlOverride } from './html-override.js';
import { negotiateResponse } from './negotiate.js';
import { eventsRoutes } from './routes/events.js';
import { eventHubRoutes } from './routes/event-hub.js';
import { hookRoutes } from './routes/hook.js';
import { jobsRoutes } from './routes/jobs.js';
import { keysRoutes } from './routes/keys.js';
import { loginRoutes } from './routes/login.js';
import { logoutRoutes } from './routes/logout.js';
import { minionsRoutes } from './routes/minions.js';
import { rootRoutes } from './routes/root.js';
import { runRoutes } from './routes/run.js';
import { mountPath, pathOf } from './paths.js';
import { appPageServer, staticRoutes } from './routes/static.js';
import { statsRoutes } from './routes/stats.js';
import { tokenRoutes } from './routes/token.js';
import { wsRoutes } from './routes/ws.js';
import { serialize } from './serialize.js';
import { SessionStore } from './sessions.js';
import { installStats, type MasterStatsProvider } from './stats.js';
import { installClientCertCheck } from './tls.js';
import { installAuthorizedIps } from './authorized-ips.js';
import { installAccessLog, type AccessLogSink } from './access-log.js';
import { REDACTED_PATHS } from '../log.js';
import { StreamRegistry } from './streams.js';
import { CredentialGuard } from './credential-guard.js';
import { LoginThrottle } from './login-throttle.js';
import { REDACTED, redactUrl } from './redact-url.js';

export { redactUrl } from './redact-url.js';

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
  }
  interface FastifyReply {
    /**
     * Sends `value` as salt-api does: serialised in the format the Accept header picks, with
     * `Content-Type` exactly `application/json` or `application/x-yaml`. Throws 406 when no
     * format is acceptable — after the handler ran, as in salt-api
     * (docs/routes.md "Request pipeline order").
     */
    sendSalt(value: unknown): FastifyReply;
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
}

/** What the event routes need from the master's event bus. */
export interface EventGateway {
  subscribe(options?: SubscriptionOptions): Subscription;
  fire(tag: string, data: SaltMap): Promise<void>;
}

export interface AppDeps {
  settings: Settings;
  logger: Logger;
  /** The master connection; without one every command answers "Salt Master is not available.". */
  master?: MasterGateway;
  netapi?: LowstateRunner;
  sessions?: SessionStore;
  events?: EventGateway;
  /** The master connection's figures for /stats (`SaltMaster.stats()`). */
  masterStats?: MasterStatsProvider;
  /** TLS server options (src/http/tls.ts `tlsOptions`); absent → plain HTTP. */
  https?: HttpsServerOptions;
  /** `log_access_file`; access lines also go to the JSON log at info. */
  accessLog?: AccessLogSink;
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

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

function httpLogger(logger: Logger, rootPrefix: string): FastifyBaseLogger {
  return logger.child(
    {},
    {
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: request.url === undefined ? undefined : redactUrl(request.url, rootPrefix),
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      redact: {
        // A child's redact replaces its parent's: keep every process-wide path as well.
        paths: [...REDACTED_PATHS, 'headers["x-auth-token"]', 'headers.cookie'],
        censor: REDACTED,
      },
    },
  );
}

/** CherryPy's 301 body: a pointer to the new location. */
function movedPage(location: string): Buffer {
  const href = location.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return Buffer.from(`This resource can be found at <a href="${href}">${href}</a>.`, 'utf8');
}

function sendSalt(this: FastifyReply, value: unknown): FastifyReply {
  const negotiated = negotiateResponse(this.request.headers.accept);
  if (!negotiated.ok) throw new HttpError(negotiated.status, negotiated.message);
  let body: string;
  try {
    body = serialize(value, negotiated.mediaType);
  } catch (cause) {
    throw new HttpError(500, 'Could not serialize the return data from Salt.', { cause });
  }
  // A Buffer keeps Fastify from appending `; charset=utf-8` to a JSON Content-Type.
  return this.type(negotiated.mediaType).send(Buffer.from(body, 'utf8'));
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { rest } = deps.settings;
  const app = Fastify({
    loggerInstance: httpLogger(deps.logger, rest.rootPrefix),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: rest.maxRequestBodySize,
    ...(deps.https && { https: deps.https }),
  });

  const master = deps.master ?? DETACHED_MASTER;
  const sessions =
    deps.sessions ?? new SessionStore({ maxSessions: rest.maxSessions, maxSessionsPerUser: rest.maxSessionsPerUser });
  const gates = createAuthGate({ store: sessions, master });
  app.decorate('settings', deps.settings);
  app.decorate('master', master);
  app.decorate('netapi', deps.netapi ?? DETACHED_NETAPI);
  app.decorate('sessions', sessions);
  app.decorate('events', deps.events ?? DETACHED_EVENTS);
  const streams = new StreamRegistry();
  app.decorate('streams', streams);
  sessions.onEnd((id) => streams.closeSession(id, 'session ended'));
  // Open streams would hold app.close() forever: end them, and wait for their last bytes to go
  // out, so that Fastify finds their connections idle and closes them at once.
  app.addHook('preClose', async () => streams.drain('shutting down', 2_000));
  app.decorate(
    'credentialGuard',
    new CredentialGuard({
      apiAcl: rest.apiAcl,
      throttle: new LoginThrottle({ maxFailures: rest.loginMaxFailures, windowSeconds: rest.loginFailureWindow }),
    }),
  );
  app.decorate('authGate', gates.gate);
  app.decorate('sessionGate', gates.sessionGate);
  app.decorateRequest('saltSession', null);
  app.decorateReply('sendSalt', sendSalt);
  // Before every other hook and route, so that every request is counted.
  installStats(app, { serverVersion: `salt-apid/${VERSION}`, masterStats: deps.masterStats });
  installAccessLog(app, { rootPrefix: rest.rootPrefix, file: deps.accessLog });

  const serverHeader = `salt-apid/${VERSION}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Server', serverHeader);
    reply.header('Vary', 'Accept-Encoding');
  });
  installCors(app, rest.corsOrigin);
  installBodyParsers(app, rest.maxRequestBodySize);
  installErrorHandling(app, { debug: rest.debug, version: VERSION });
  installClientCertCheck(app, rest.sslAllowedCn, rest);
  installAuthorizedIps(app, rest.authorizedIps);

  // root_prefix (docs/routes.md "Mounting"): the whole API, the app and the static files are
  // mounted under it; `/api` answers 301 to `/api/`, and anything outside is the 404 page.
  const prefix = mountPath(rest.rootPrefix);
  if (prefix !== '') {
    app.addHook('onRequest', async (request, reply) => {
      const path = pathOf(request.url);
      if (path !== prefix) return;
      const location = `${prefix}/${request.url.slice(path.length)}`;
      return reply.code(301).header('Location', location).type(HTML_CONTENT_TYPE).send(movedPage(location));
    });
  }
  // First on every request (docs/routes.md "Request pipeline order"): a browser's request for
  // HTML gets the app.
  if (rest.app !== undefined) {
    installHtmlOverride(app, {
      prefix,
      exempt: [
        mountPath(rest.appPath) || '/',
        mountPath(rest.staticPath) || '/',
        ...(rest.favicon === undefined ? [] : ['/favicon.ico']),
      ],
      serve: appPageServer(rest.app),
    });
  }

  await app.register(
    async (api) => {
      await api.register(rootRoutes);
      await api.register(runRoutes);
      await api.register(tokenRoutes);
      await api.register(keysRoutes);
      await api.register(eventsRoutes);
      await api.register(hookRoutes);
      await api.register(eventHubRoutes);
      await api.register(wsRoutes);
      await api.register(statsRoutes);
      // Without sessions salt-api does not mount these at all (docs/routes.md "Mounting").
      if (rest.enableSessions) {
        await api.register(loginRoutes);
        await api.register(logoutRoutes);
        await api.register(minionsRoutes);
        await api.register(jobsRoutes);
      }
      // Outside every session scope: no cookie on the app, static files and favicon.
      await api.register(staticRoutes);
    },
    { prefix },
  );
  return app;
}
