/**
 * `/`: the welcome document (rest-api.md §5.1) and, with a session, lowstate execution (§5.2).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { HttpError, rejectOtherMethods, unexpectedQueryError } from '../errors.js';

/**
 * salt.netapi.CLIENTS as salt-api lists it: alphabetical, always complete whatever
 * `netapi_enable_clients` says, and including the internal `destroy` (clients check for it).
 */
export const API_CLIENTS = [
  'destroy',
  'local',
  'local_async',
  'local_batch',
  'local_subset',
  'runner',
  'runner_async',
  'ssh',
  'wheel',
  'wheel_async',
] as const;

const ALLOWED_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST'];

export async function rootRoutes(app: FastifyInstance): Promise<void> {
  const allow = ALLOWED_METHODS.join(', ');
  const setAllow = async (_request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.header('Allow', allow);
  };

  app.get('/', { onRequest: setAllow }, async (request, reply) => {
    const parameters = Object.keys(request.query as Record<string, unknown>);
    if (parameters.length > 0) throw unexpectedQueryError(parameters, app.settings.rest.debug);
    return reply.sendSalt({ return: 'Welcome', clients: API_CLIENTS });
  });

  // No session can hold a Salt token until /login exists, so the auth gate refuses every POST /
  // before the body is read; the lowstate execution issue replaces this with the real gate and
  // the executor.
  const refuseUnauthenticated = async (): Promise<never> => {
    throw new HttpError(401);
  };
  app.post('/', { onRequest: [setAllow, refuseUnauthenticated] }, refuseUnauthenticated);

  rejectOtherMethods(app, '/', ALLOWED_METHODS);
}
