/**
 * `GET /stats` (docs/routes.md "GET /stats"): the counters of src/http/stats/stats.ts in the negotiated
 * format. A session route behind the gate of every protected route unless `stats_disable_auth`:
 * salt-api only looks for a token in the session, so a session whose Salt token has expired could
 * go on reading; here the token must be live (the master's word on it is reused for a few seconds,
 * so SaltGUI's frequent polls stay cheap).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import fp from 'fastify-plugin';
import { refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { refuseUndeclaredQuery, type QueryRoute } from './query.js';
import { sessionScope } from './session-scope.js';

const STATS_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

async function routes(app: FastifyInstance): Promise<void> {
  const { debug, statsDisableAuth } = app.settings.rest;
  await sessionScope(app, (scope) => {
    sendAllow(scope, STATS_METHODS);
    const gate = statsDisableAuth ? undefined : app.authGate;
    scope.get<QueryRoute>('/stats', { onRequest: gate === undefined ? [] : [gate] }, async (request, reply) => {
      refuseUndeclaredQuery(request.query, [], debug);
      return reply.sendSalt(app.serverStats.report(request.ip));
    });
    refuseDeeperPaths(scope, '/stats/*', ['GET'], gate);
    for (const url of ['/stats', '/stats/*']) {
      rejectOtherMethods(scope, url, STATS_METHODS, { gate, lengthRule: 'put-patch' });
    }
  });
}

export const statsRoutes = fp(routes, {
  name: 'salt-apid-stats-routes',
  encapsulate: true,
  decorators: { fastify: ['serverStats', 'settings', 'authGate'], reply: ['sendSalt'] },
});
