/**
 * `POST /token` (docs/routes.md "POST /token"): Salt tokens for eauth credentials, minted by the
 * `runner` client calling `auth.mk_token`. The reply is a bare list, without the `return` envelope.
 */
import type { FastifyInstance } from 'fastify';
import { isSaltMap, type SaltMap } from '../../salt/codec/values.js';
import { HttpError } from '../transport/errors.js';
import { abortOnDisconnect, prepareChunks, runChunks, toLowstate } from '../lowstate.js';
import { LOWSTATE_METHODS, refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';
import type { QueryRoute } from './query.js';
import { welcome } from './root.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

const CREDENTIALS = ['username', 'password', 'eauth'] as const;

/** One credential set as the runner chunk salt-api builds from it (the set's own keys stay). */
function mkTokenChunk(creds: unknown): SaltMap {
  if (!isSaltMap(creds) || !CREDENTIALS.every((key) => Object.hasOwn(creds, key))) {
    throw new HttpError(400, 'Require "username", "password", and "eauth" params');
  }
  return {
    ...creds,
    client: 'runner',
    fun: 'auth.mk_token',
    kwarg: { username: creds['username'], password: creds['password'], eauth: creds['eauth'] },
  };
}

export async function tokenRoutes(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.get<QueryRoute>('/token', welcome(app));
    scope.post('/token', auditsRuns(app), async (request, reply) => {
      const chunks = prepareChunks(toLowstate(request.body).map(mkTokenChunk));
      app.credentialGuard.admitChunks(request, chunks);
      const runner = auditedRunner(app, request, app.credentialGuard.watching(app.netapi, request));
      return reply.sendSalt(await runChunks(runner, chunks, abortOnDisconnect(reply.raw)));
    });
    refuseDeeperPaths(scope, '/token/*', ['GET', 'POST']);
  });
  // Only GET and POST turn salt-api's session tool off: the other methods answer with a cookie.
  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    for (const url of ['/token', '/token/*']) {
      rejectOtherMethods(scope, url, LOWSTATE_METHODS, { lengthRule: 'put-patch' });
    }
  });
}
