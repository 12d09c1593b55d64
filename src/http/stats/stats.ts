/**
 * Server statistics for `/stats` (docs/routes.md "GET /stats"): the counters (stats-counters.ts)
 * are wired to two hooks and the server's `connection` and `clientError` events by statsPlugin
 * (stats-plugin.ts); the document is built from them only when `/stats` is read (stats-report.ts).
 */
import type { FastifyReply } from 'fastify';
import type { ServerStats } from './stats-counters.js';
import type { RouteCounter } from './stats-route.js';
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
  /** How long a request took (default: Fastify's measure); for tests, which give each request its time. */
  elapsedMs?: (reply: FastifyReply) => number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Counters behind `/stats` (installed by statsPlugin). */
    serverStats: ServerStats;
  }
  interface FastifyRequest {
    /** The counter of the route that matched, set when the request starts. */
    statsRoute: RouteCounter | null;
  }
}
