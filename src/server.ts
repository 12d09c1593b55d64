import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from './config/types.js';
import { buildApp } from './http/app.js';
import { SessionStore, type SessionStoreOptions } from './http/auth/sessions.js';
import type { CacheHealth, SaltCache } from './salt/cache/salt-cache.js';
import { honouredRecord } from './http/auth/auth.js';
import type { AccessLogSink } from './http/stats/access-log.js';
import type { LineSink } from './log.js';
import { ALLOWED_CN_UNREQUESTED, tlsOptions } from './http/transport/tls.js';
import { createNetapi } from './salt/clients/netapi-dispatcher.js';
import type { LowstateRunner } from './salt/clients/netapi.js';
import { SaltMaster } from './salt/master.js';
import { StreamFeed } from './salt/stream-feed/stream-feed.js';
import type { EventGateway } from './http/context.js';
import { pamForSsh, type PamLoad } from './salt/auth/pam.js';

/**
 * salt-apid assembled: the connection to the master, the HTTP application on top of it, and
 * an orderly shutdown (stop accepting, let in-flight requests finish — for at most
 * `shutdown_timeout` seconds — then drop the master).
 */
export interface RunningServer {
  app: FastifyInstance;
  master: SaltMaster;
  netapi: LowstateRunner;
  sessions: SessionStore;
  /**
   * Whether the event streams are fed: their thread is connected to the bus, or not started yet (no
   * stream so far), or they read the main connection and it is.
   */
  streamsFed(): boolean;
  /** Subscriptions the event streams hold open now. */
  streamSubscribers(): number;
  /** e.g. `https://127.0.0.1:8000` (`http://` with `disable_ssl`) */
  url: string;
  close(): Promise<void>;
}

/**
 * Stops accepting and closes the app. Node's server.close() closes only the connections idle at
 * that moment; one that finishes its last request later would linger for the keep-alive timeout,
 * so idle connections are swept until the server has closed. Past `deadlineMs`, every connection
 * still open is closed, busy or not: a request that outlives the deadline is cut off.
 */
async function closeWithDeadline(app: FastifyInstance, deadlineMs: number, logger: Logger): Promise<void> {
  let pastDeadline = false;
  const sweep = setInterval(() => {
    if (pastDeadline) app.server.closeAllConnections();
    else app.server.closeIdleConnections();
  }, 100);
  const deadline = setTimeout(() => {
    pastDeadline = true;
    logger.warn({ shutdownTimeout: deadlineMs / 1000 }, 'shutdown_timeout reached: closing the connections still open');
    app.server.closeAllConnections();
  }, deadlineMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}

/**
 * `session_store: cache` with the master's `localfs` cache: sessions in `<cachedir>/netapi/session`,
 * shared with every salt-apid and salt-api of the master. Other cache drivers are not read yet:
 * the sessions stay in this process, as before, and the log says so. The cache modules are
 * loaded only here.
 */
async function sharedSessions(
  settings: Settings,
  master: SaltMaster,
  logger: Logger,
): Promise<Pick<SessionStoreOptions, 'shared' | 'adopt'> & { cacheHealth?: CacheHealth }> {
  if (settings.rest.sessionStore !== 'cache') return {};
  const cache = await saltCacheOf(settings, logger);
  if (cache === undefined) {
    logger.warn(
      { cache: settings.master.cacheDriver },
      'session_store: cache needs the localfs or redis cache driver; sessions stay in this process',
    );
    return {};
  }
  const { CacheSessionBackend } = await import('./http/auth/shared-sessions.js');
  return {
    shared: new CacheSessionBackend(cache),
    adopt: (token) => honouredRecord(master, token),
    ...(cache.health && { cacheHealth: cache.health }),
  };
}

async function saltCacheOf({ master, rest }: Settings, logger: Logger): Promise<SaltCache | undefined> {
  if (master.cacheDriver === 'localfs') {
    const [{ LocalfsCache }, { LocalfsHealth }] = await Promise.all([
      import('./salt/cache/localfs.js'),
      import('./salt/cache/localfs-health.js'),
    ]);
    const log = logger.child({ component: 'session-cache' });
    const health = new LocalfsHealth((up, reason) => {
      if (up) log.info({ cachedir: master.cachedir }, 'the session files can be written again');
      else log.error({ cachedir: master.cachedir, reason }, 'the session files cannot be written: logins fail');
    });
    return new LocalfsCache(master.cachedir, Date.now, health);
  }
  if (master.cacheDriver === 'redis' || master.cacheDriver === 'redis_cache') {
    const { RedisCache } = await import('./salt/cache/redis.js');
    const timeoutMs = rest.sessionStoreTimeout * 1000;
    return new RedisCache(master.redisCache, Date.now, {
      connectMs: timeoutMs,
      commandMs: timeoutMs,
      logger: logger.child({ component: 'session-cache' }),
    });
  }
  return undefined;
}

/**
 * What the event routes read and fire: events from the stream feed's thread where it runs (else
 * from the main bus connection), fired through the main connection's pull socket.
 */
function streamEvents(master: SaltMaster, feed: StreamFeed | undefined): EventGateway {
  if (feed === undefined) return master.bus;
  return {
    subscribe: (options) => feed.subscribe(options),
    tap: (listener) => feed.tap(listener),
    fire: (tag, data) => master.bus.fire(tag, data),
    streamReader: () => feed.stats(),
    ready: () => feed.ready(),
  };
}

export interface StartServerOptions {
  settings: Settings;
  logger: Logger;
  accessLog?: AccessLogSink;
  /** `log_audit_file`: the audit log's file (src/http/audit/). */
  auditLog?: LineSink;
  /** PAM for the ssh client; by default in this process where authenticate-pam loads. */
  pam?: PamLoad;
  /** Node.js options of the event streams' thread (stream-feed.ts); by default this process's. */
  streamFeedExecArgv?: string[];
}

/**
 * Starts salt-apid. Refuses to start (StartupError from src/startup-error.ts, before anything is opened)
 * when the TLS settings are incomplete or unusable (docs/routes.md
 * "Configuration, TLS and logging").
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const { settings, logger, accessLog, auditLog, pam } = options;
  const https = await tlsOptions(settings.rest);
  if (settings.rest.sslAllowedCn !== undefined && https?.requestCert !== true) {
    logger.warn(ALLOWED_CN_UNREQUESTED);
  }
  const master = SaltMaster.fromSettings(settings.master, logger.child({ component: 'master' }), {
    nameEvents: settings.rest.eventsIds,
  }).start();
  const feed = StreamFeed.start({
    pub: master.pub,
    identity: master.eventIdentity,
    logger: logger.child({ component: 'stream-feed' }),
    execArgv: options.streamFeedExecArgv,
  });
  const sshPam = pam ?? pamForSsh(settings.rest.sshPamInProcess);
  const netapi = createNetapi({
    master,
    settings: settings.master,
    logger: logger.child({ component: 'netapi' }),
    coalesceJobChecks: settings.rest.coalesceJobChecks,
    adaptiveJobLimit: settings.rest.adaptiveJobLimit,
    maxSyncJobs: settings.rest.maxSyncJobs,
    ...(sshPam && { pam: sshPam }),
  });
  const { cacheHealth, ...shared } = await sharedSessions(settings, master, logger);
  const sessions = new SessionStore({
    maxSessions: settings.rest.maxSessions,
    maxSessionsPerUser: settings.rest.maxSessionsPerUser,
    ...shared,
  });
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp({
      settings,
      logger,
      master,
      netapi,
      sessions,
      events: streamEvents(master, feed),
      masterStats: () => master.stats(),
      ...(cacheHealth && { cacheHealth }),
      ...(https && { https }),
      ...(accessLog && { accessLog }),
      ...(auditLog && { auditLog }),
    });
    await app.listen({ host: settings.rest.host, port: settings.rest.port, backlog: settings.rest.socketQueueSize });
  } catch (err) {
    await app?.close();
    master.close();
    await feed?.close();
    throw err;
  }
  const listening = app;
  const address = listening.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : settings.rest.port;
  const host = settings.rest.host.includes(':') ? `[${settings.rest.host}]` : settings.rest.host;
  let closing: Promise<void> | undefined;
  return {
    app: listening,
    master,
    netapi,
    sessions,
    streamsFed: () => (feed === undefined ? master.bus.connected : !feed.started || feed.connected),
    streamSubscribers: () => (feed === undefined ? master.bus.stats().subscribers : feed.stats().subscribers),
    url: `${https ? 'https' : 'http'}://${host}:${port}`,
    close() {
      closing ??= closeWithDeadline(listening, settings.rest.shutdownTimeout * 1000, logger).finally(async () => {
        master.close();
        await Promise.all([sessions.close(), feed?.close()]);
      });
      return closing;
    },
  };
}
