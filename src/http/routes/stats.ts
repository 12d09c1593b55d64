/**
 * `GET /stats` (rest-api.md §11): the counters of src/http/stats.ts in the negotiated format. A
 * session route behind salt-api's own gate unless `stats_disable_auth`: like salt-api it never
 * asks the master, so SaltGUI's frequent polls stay cheap and work while the master is away
 * (rest-api.md §4.2).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { rejectOtherMethods } from '../errors.js';
import { refuseUndeclaredQuery, sendAllow, sessionScope } from './common.js';

const STATS_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

export async function statsRoutes(app: FastifyInstance): Promise<void> {
  if (!app.hasDecorator('serverStats')) throw new Error('installStats(app) must run before statsRoutes');
  const { debug, statsDisableAuth } = app.settings.rest;
  await sessionScope(app, (scope) => {
    sendAllow(scope, STATS_METHODS);
    const onRequest = statsDisableAuth ? [] : [app.sessionGate];
    scope.get('/stats', { onRequest }, async (request, reply) => {
      refuseUndeclaredQuery(request, [], debug);
      return reply.sendSalt(app.serverStats.report());
    });
    rejectOtherMethods(scope, '/stats', STATS_METHODS);
  });
}
