/**
 * `GET /healthz` and `GET /readyz` (salt-apid's own, under `root_prefix`), for load balancers,
 * systemd and orchestrators; no authentication, no session, nothing secret in the answer.
 * `/healthz` is 200 while the process serves requests. `/readyz` is 200 only while the master's
 * event bus is connected and its request port answers (readiness.ts: a recent answer, else one
 * shared `ping`) and, with `session_store: cache` on Redis, the session cache answers; else 503
 * with the reason. Both bodies are written as every other JSON answer
 * (Python's `json.dumps`).
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { jsonDumps } from '../../python/json-dumps.js';
import { rejectOtherMethods, sendAllow } from './methods.js';

const HEALTH_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

export async function healthRoutes(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    sendAllow(scope, HEALTH_METHODS);
    scope.get('/healthz', async (_request, reply) =>
      reply
        .header('Cache-Control', 'no-store')
        .type('application/json')
        .send(jsonDumps({ status: 'ok' })),
    );
    scope.get('/readyz', async (_request, reply) => {
      const verdict = await app.readiness.check();
      const body = verdict.ready ? { status: 'ready' } : { status: 'not ready', reason: verdict.reason };
      return reply
        .code(verdict.ready ? 200 : 503)
        .header('Cache-Control', 'no-store')
        .type('application/json')
        .send(jsonDumps(body));
    });
    for (const url of ['/healthz', '/readyz']) rejectOtherMethods(scope, url, HEALTH_METHODS);
  });
}
