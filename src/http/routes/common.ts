/**
 * Small pieces every API route plugin uses: the `Allow` header CherryPy sends on every answer of a
 * route (docs/routes.md "Request pipeline order"), its refusal of undeclared query parameters, and
 * a session scope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { unexpectedQueryError } from '../errors.js';
import { installSessions } from '../sessions.js';

export const LOWSTATE_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST'];

/** An onRequest hook for the whole plugin: `Allow` on every answer, errors included. */
export function sendAllow(scope: FastifyInstance, allowed: readonly HTTPMethods[]): void {
  const allow = allowed.join(', ');
  scope.addHook('onRequest', async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('Allow', allow);
  });
}

/** CherryPy's 404 for query parameters the handler does not declare. */
export function refuseUndeclaredQuery(request: FastifyRequest, declared: readonly string[], debug: boolean): void {
  const names = Object.keys(request.query as Record<string, unknown>).filter((name) => !declared.includes(name));
  if (names.length > 0) throw unexpectedQueryError(names, debug);
}

/** A query parameter's value as CherryPy passes it (the last one when repeated). */
export function queryValue(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** Registers `routes` as session routes: session lookup first, and the cookie on every answer. */
export async function sessionScope(app: FastifyInstance, routes: (scope: FastifyInstance) => void): Promise<void> {
  await app.register(async (scope) => {
    installSessions(scope, app.sessions);
    routes(scope);
  });
}

/** A path parameter of the route (`:mid`, `:jid`), undefined on the route without it. */
export function pathParam(request: FastifyRequest, name: string): string | undefined {
  return (request.params as Record<string, string | undefined>)[name];
}

/**
 * The headers the hooks set on a reply (CORS, session cookie, Server, Allow…), for the answers
 * written by hand past Fastify: hijacked event streams and WebSocket upgrades.
 */
export function headersSetOn(reply: FastifyReply): Array<[string, string | string[]]> {
  const headers: Array<[string, string | string[]]> = [];
  for (const [name, value] of Object.entries(reply.getHeaders())) {
    if (value !== undefined) headers.push([name, Array.isArray(value) ? value : String(value)]);
  }
  return headers;
}
