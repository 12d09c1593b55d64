/**
 * `POST /logout` (docs/routes.md "POST /logout"): ends the session. salt-api moves the session to a
 * new id and leaves it usable; here it is destroyed outright: a logout must end it. The Salt token
 * itself stays valid on the master until it expires, as in salt-api.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { gatedSession } from '../auth/auth.js';
import { cookieOptionsFor, expiredSessionCookie, setSessionCookie } from '../auth/sessions.js';
import { refuseDeeperPaths, rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';
import { auditSession } from '../audit/session-records.js';

/** salt-api answers `GET /logout` with a 500; only POST is implemented here, so GET is a 405. */
const ALLOWED: readonly HTTPMethods[] = ['POST'];

export async function logoutRoutes(app: FastifyInstance): Promise<void> {
  await sessionScope(app, (scope) => {
    sendAllow(scope, ALLOWED);
    scope.post('/logout', { onRequest: app.sessionGate }, async (request, reply) => {
      const session = gatedSession(request);
      await app.sessions.remove(session.id);
      auditSession(app, request, reply, 'logout', session.token);
      setSessionCookie(reply, expiredSessionCookie(cookieOptionsFor(request)));
      return reply.sendSalt({ return: 'Your token has been cleared' });
    });
    // salt_auth covers the whole resource: without a session every method is a 401.
    const refusals = { gate: app.sessionGate, lengthRule: 'put-patch' } as const;
    rejectOtherMethods(scope, '/logout', ALLOWED, refusals);
    refuseDeeperPaths(scope, '/logout/*', ALLOWED, app.sessionGate);
    rejectOtherMethods(scope, '/logout/*', ALLOWED, refusals);
  });
}
