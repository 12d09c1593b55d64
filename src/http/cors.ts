/**
 * CORS as rest_cherrypy's cors_tool does it (rest-api.md §7): the same three headers on every
 * response, and a preflight answer that needs no authentication — 200 with an empty body, where
 * salt-api answers 500 (deviations.md).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTML_CONTENT_TYPE } from './errors.js';

const PREFLIGHT_METHODS = ['GET', 'POST'];

/**
 * The `Access-Control-Allow-Origin` value for a request's Origin, or undefined to send none.
 * Without the `cors_origin` extension (or with `*` in it) every origin is reflected.
 */
export function allowedOrigin(origin: string | undefined, corsOrigin: string | readonly string[] | undefined): string | undefined {
  if (origin === undefined) return '*';
  const allowed = corsOrigin === undefined ? ['*'] : typeof corsOrigin === 'string' ? [corsOrigin] : corsOrigin;
  return allowed.includes('*') || allowed.includes(origin) ? origin : undefined;
}

export function installCors(app: FastifyInstance, corsOrigin: string | readonly string[] | undefined): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = allowedOrigin(request.headers.origin, corsOrigin);
    if (origin !== undefined) reply.header('Access-Control-Allow-Origin', origin);
    // Method names where header names belong: salt-api's value, kept as it is (rest-api.md §17).
    reply.header('Access-Control-Expose-Headers', 'GET, POST');
    reply.header('Access-Control-Allow-Credentials', 'true');
  });

  app.options('*', async (request, reply) => {
    const requestedMethod = request.headers['access-control-request-method'];
    if (typeof requestedMethod === 'string' && PREFLIGHT_METHODS.includes(requestedMethod)) {
      reply.header('Access-Control-Allow-Methods', PREFLIGHT_METHODS.join(', '));
      reply.header('Access-Control-Allow-Headers', 'Content-Type, X-Auth-Token, X-Requested-With');
      reply.header('Connection', 'keep-alive');
      reply.header('Access-Control-Max-Age', '1400');
    }
    return reply.code(200).type(HTML_CONTENT_TYPE).send('');
  });
}
