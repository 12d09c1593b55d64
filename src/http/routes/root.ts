/**
 * `/`: the welcome document (docs/routes.md "GET /") and lowstate execution with the session
 * (docs/routes.md "POST /").
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NETAPI_CLIENTS } from '../../salt/clients/netapi.js';
import { gatedSession } from '../auth/auth.js';
import { abortOnDisconnect, prepareChunks, runChunks, toLowstate } from '../lowstate.js';
import { LOWSTATE_METHODS, rejectOtherMethods, sendAllow } from './methods.js';
import { refuseUndeclaredQuery, type QueryRoute } from './query.js';
import { sessionScope } from './session-scope.js';
import { auditedRunner, auditsRuns } from '../audit/audited-runner.js';

/**
 * `GET /`, also answered at `GET /run` and `GET /token`, which inherit it in salt-api. `clients`
 * is always the complete list, whatever `netapi_enable_clients` says, `destroy` included.
 */
const WELCOME = Object.freeze({ return: 'Welcome', clients: NETAPI_CLIENTS });

export function welcome(app: FastifyInstance) {
  return async (request: FastifyRequest<QueryRoute>, reply: FastifyReply<QueryRoute>): Promise<FastifyReply> => {
    refuseUndeclaredQuery(request.query, [], app.settings.rest.debug);
    return reply.sendSaltConstant(WELCOME);
  };
}

/**
 * The session's lowstate: every chunk runs with the session's Salt token, whatever token it
 * names itself. Shared by `POST /` and the routes that inherit it (`POST /jobs`).
 */
export function runWithSession(app: FastifyInstance) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const session = gatedSession(request);
    const chunks = prepareChunks(toLowstate(request.body), { token: session.token.token });
    app.credentialGuard.admitChunks(request, chunks);
    const runner = auditedRunner(app, request, app.netapi, session.token);
    const results = await runChunks(runner, chunks, abortOnDisconnect(reply.raw));
    return reply.sendSalt({ return: results });
  };
}

export async function rootRoutes(app: FastifyInstance): Promise<void> {
  await app.register(async (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    scope.get<QueryRoute>('/', welcome(app));
  });

  await sessionScope(app, (scope) => {
    sendAllow(scope, LOWSTATE_METHODS);
    // The gate runs before the body is read: an unauthenticated malformed body is a 401.
    scope.post('/', { onRequest: app.authGate, ...auditsRuns(app) }, runWithSession(app));
    // Only POST is behind salt_auth here (GET is the open welcome).
    rejectOtherMethods(scope, '/', LOWSTATE_METHODS, { lengthRule: 'put-patch' });
  });
}
