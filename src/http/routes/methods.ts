/**
 * The methods of a route as CherryPy's MethodDispatcher answers them (docs/routes.md "Request
 * pipeline order"): `Allow` with the route's methods on every answer, errors included, and 405
 * for every other method before the body is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { methodNotAllowedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set on the 405 routes of {@link rejectOtherMethods}: they answer methods, they are not operations. */
    methodNotAllowed?: boolean;
  }
}

export const LOWSTATE_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST'];

/** An onRequest hook for the whole plugin: `Allow` on every answer, errors included. */
export function sendAllow(scope: FastifyInstance, allowed: readonly HTTPMethods[]): void {
  const allow = allowed.join(', ');
  scope.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Allow', allow);
  });
}

/**
 * Answers every method a route does not implement with 405 and its `Allow` list, before the body
 * is read. OPTIONS stays with the CORS preflight.
 */
export function rejectOtherMethods(app: FastifyInstance, url: string, allowed: readonly HTTPMethods[]): void {
  const allow = allowed.join(', ');
  const others = app.supportedMethods.filter((method) => method !== 'OPTIONS' && !allowed.includes(method));
  const refuse = async (): Promise<never> => {
    throw methodNotAllowedError(allow);
  };
  // Refused in onRequest so that no body is read; the handler is never reached.
  app.route({ method: others, url, config: { methodNotAllowed: true }, onRequest: refuse, handler: refuse });
}
