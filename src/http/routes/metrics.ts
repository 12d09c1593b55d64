/**
 * `GET <metrics_path>` (default `/metrics`): Prometheus' text exposition of src/http/stats/metrics.ts.
 * Behind the gate of every protected route (a session or Salt token) unless
 * `metrics_disable_auth`, for a scraper on a private network.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';

const METRICS_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const { metricsPath, metricsDisableAuth } = app.settings.rest;
  // Undefined with `metrics: false`.
  const { metrics } = app;
  if (metrics === undefined) return;
  const { registry } = metrics;
  await sessionScope(app, (scope) => {
    sendAllow(scope, METRICS_METHODS);
    const onRequest = metricsDisableAuth ? [] : [app.authGate];
    scope.get(metricsPath, { onRequest }, async (_request, reply) => {
      return reply
        .header('Cache-Control', 'no-store')
        .type(registry.contentType)
        .send(await registry.metrics());
    });
    rejectOtherMethods(scope, metricsPath, METRICS_METHODS);
  });
}
