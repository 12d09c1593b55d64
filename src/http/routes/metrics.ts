/**
 * `GET <metrics_path>` (default `/metrics`): Prometheus' text exposition of src/http/stats/metrics.ts
 * (in a worker of `workers: N`, the sum over every worker). Behind the gate of every protected route
 * (a session or Salt token) unless `metrics_disable_auth`, for a scraper on a private network; with
 * `metrics_token_file`, `Authorization: Bearer <the file's token>` also opens it, and any other
 * bearer token is refused.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { noPermission, type AuthGate } from '../auth/auth.js';
import { HttpError } from '../transport/errors.js';
import { bearerToken, MetricsToken } from '../auth/metrics-token.js';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';

const METRICS_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

/** The metrics' gate: none, the API's own, or a bearer token from `metrics_token_file` before it. */
function metricsGate(app: FastifyInstance): AuthGate[] {
  const { metricsDisableAuth, metricsTokenFile } = app.settings.rest;
  if (metricsDisableAuth) return [];
  if (metricsTokenFile === undefined) return [app.authGate];
  const token = new MetricsToken(metricsTokenFile, {
    onReloadFailure: (err) =>
      app.log.warn(
        { err, file: metricsTokenFile },
        'metrics_token_file changed but cannot be read: keeping the token read last',
      ),
  });
  if (token.weak)
    app.log.warn({ file: metricsTokenFile }, 'the token in metrics_token_file is shorter than 16 characters');
  return [
    async (request, reply) => {
      const presented = bearerToken(request.headers.authorization);
      if (presented === undefined) return app.authGate(request, reply);
      if (!token.matches(presented)) throw noPermission();
    },
  ];
}

export async function metricsRoutes(app: FastifyInstance): Promise<void> {
  const { metricsPath } = app.settings.rest;
  // Undefined with `metrics: false`.
  const { metrics } = app;
  if (metrics === undefined) return;
  const onRequest = metricsGate(app);
  await sessionScope(app, (scope) => {
    sendAllow(scope, METRICS_METHODS);
    scope.get(metricsPath, { onRequest }, async (request, reply) => {
      let text: string;
      try {
        text = await metrics.exposition();
      } catch (err) {
        // A worker of `workers: N` that did not answer the primary in time: try the next scrape.
        request.log.warn({ err }, 'the metrics of every worker could not be gathered');
        throw new HttpError(503, err instanceof Error ? err.message : String(err));
      }
      return reply.header('Cache-Control', 'no-store').type(metrics.contentType).send(text);
    });
    rejectOtherMethods(scope, metricsPath, METRICS_METHODS);
  });
}
