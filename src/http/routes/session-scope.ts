import type { FastifyInstance } from 'fastify';
import { installSessions } from '../auth/sessions.js';

/** Registers `routes` as session routes: session lookup first, and the cookie on every answer. */
export async function sessionScope(app: FastifyInstance, routes: (scope: FastifyInstance) => void): Promise<void> {
  await app.register(async (scope) => {
    installSessions(scope, app.sessions);
    routes(scope);
  });
}
