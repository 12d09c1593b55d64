/**
 * `/run` (docs/routes.md "POST /run"): lowstate without sessions. Each chunk carries its own
 * credentials — a Salt token or `username`/`password`/`eauth`; `X-Auth-Token` and cookies are not
 * looked at.
 */
import type { FastifyInstance } from 'fastify';
import { abortOnDisconnect, prepareChunks, runChunks, toLowstate } from '../lowstate.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import type { QueryRoute } from './query.js';
import { welcome } from './root.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

export async function runRoutes(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.get<QueryRoute>('/run', welcome(app));
    scope.post('/run', auditsRuns(app), async (request, reply) => {
      const chunks = prepareChunks(toLowstate(request.body));
      app.credentialGuard.admitChunks(request, chunks);
      const runner = auditedRunner(app, request, app.credentialGuard.watching(app.netapi, request));
      return reply.sendSalt({ return: await runChunks(runner, chunks, abortOnDisconnect(reply.raw)) });
    });
    refuseDeeperPaths(scope, '/run/*', ['GET', 'POST']);
    for (const url of ['/run', '/run/*']) {
      rejectOtherMethods(scope, url, LOWSTATE_METHODS, { lengthRule: 'put-patch' });
    }
  });
}
