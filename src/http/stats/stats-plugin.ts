/**
 * The counting behind `/stats` (the counters themselves: ServerStats, stats-counters.ts): two hooks on every
 * request and the server's `connection` and `clientError` events.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PLUGIN } from '../plugin-names.js';
import { ServerStats } from './stats-counters.js';
import type { StatsOptions } from './stats.js';

async function startCounting(app: FastifyInstance, options: StatsOptions): Promise<void> {
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
    elapsedMs: options.elapsedMs,
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
}

/**
 * Counts every request. The plugins whose hooks may answer early (a CORS preflight, a 411, a 403)
 * name it in their dependencies, so that its hooks run first and every answer is counted.
 */
export const statsPlugin = fp(startCounting, {
  name: PLUGIN.stats,
  decorators: { fastify: ['settings', 'streams', 'sessions', 'master'] },
});
