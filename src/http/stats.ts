/**
 * Server statistics for `/stats` (docs/routes.md "GET /stats"): installStats wires the counters
 * (stats-counters.ts) to two hooks and the server's `connection` and `clientError` events; the
 * document is built from them only when `/stats` is read (stats-report.ts).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ServerStats, type RouteCounter } from './stats-counters.js';
import type { MasterStatsProvider } from './stats-report.js';

export type { MasterStatsProvider };

export interface StatsOptions {
  /** Shown as `Server Version`, like the `Server` header. */
  serverVersion: string;
  masterStats?: MasterStatsProvider | undefined;
  /** A request taking longer than this is kept as a slow query (default 1 s). */
  slowQueryMs?: number;
  /** How many slow queries are kept, newest last (default 20). */
  slowQueryLimit?: number;
  /** How many finished requests the `collect_stats` record shows (default 16). */
  recentRequests?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counters behind `/stats` (installed by installStats). */
    serverStats: ServerStats;
  }
  interface FastifyRequest {
    /** The counter of the route that matched, set when the request starts. */
    statsRoute: RouteCounter | null;
  }
}

/**
 * Starts counting: call on the root instance before any route is registered, so that its hooks
 * run first for every route (a hook that answers early, like a CORS preflight, still gets counted).
 */
export function installStats(app: FastifyInstance, options: StatsOptions): ServerStats {
  const { rest } = app.settings;
  const stats = new ServerStats({
    collectStats: rest.collectStats,
    threadPool: rest.threadPool,
    serverVersion: options.serverVersion,
    bindAddress: () => {
      const address = app.server.address();
      return typeof address === 'object' && address !== null ? [address.address, address.port] : [rest.host, rest.port];
    },
    streams: () => app.streams.stats(),
    sessions: () => app.sessions.size,
    masterAvailable: () => app.master.available,
    masterStats: options.masterStats,
    slowQueryMs: options.slowQueryMs,
    slowQueryLimit: options.slowQueryLimit,
    recentRequests: options.recentRequests,
  });
  app.decorate('serverStats', stats);
  app.decorateRequest('statsRoute', null);
  app.server.on('connection', (socket: Socket) => stats.connectionOpened(socket));
  // Fastify answers client errors itself; this listener only counts them.
  app.server.on('clientError', () => stats.clientError());
  app.addHook('onRequest', (request, reply, done) => {
    request.statsRoute = stats.requestStarted(request, reply);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    stats.requestFinished(request, reply, request.statsRoute);
    done();
  });
  return stats;
}
