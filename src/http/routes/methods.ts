/**
 * The methods and paths of a resource as CherryPy's MethodDispatcher answers them (docs/routes.md
 * "Request pipeline order", "Requests without a length"): `Allow` with the route's methods on every
 * answer, errors included; for a method the resource does not implement, its auth gate, then 411
 * for a request without a length, then 405; for a path deeper than the handler takes, its auth
 * gate, then 404 "Nothing matches the given URI".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods, onRequestHookHandler } from 'fastify';
import type { AuthGate } from '../auth/auth.js';
import { lengthRequiredError, methodNotAllowedError, nothingMatchesError } from '../transport/errors.js';
import { lacksRequiredLength, type LengthRule } from '../transport/request-length.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Set on the refusal routes of {@link rejectOtherMethods} and {@link refuseDeeperPaths}: they
     * answer methods and paths a resource does not have; they are not operations.
     */
    notAnOperation?: boolean;
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

export interface RefusalOptions {
  /** The resource's gate (salt-api's `salt_auth` tool), for every method: a 401 comes before the 411 or 405. */
  gate?: AuthGate | undefined;
  /** Which requests without a length are 411 before the 405 (default: POST, PUT and PATCH). */
  lengthRule?: LengthRule;
}

function gateHooks(gate: AuthGate | undefined): onRequestHookHandler[] {
  return gate === undefined ? [] : [gate];
}

/**
 * Answers every method a route does not implement: the resource's gate, then 411 for a request
 * without a length (as CherryPy, which reads the body before it calls the handler that answers
 * 405), then 405 with the `Allow` list. A body that is there is never read. OPTIONS stays with the
 * CORS preflight.
 */
export function rejectOtherMethods(
  app: FastifyInstance,
  url: string,
  allowed: readonly HTTPMethods[],
  options: RefusalOptions = {},
): void {
  const allow = allowed.join(', ');
  const others = app.supportedMethods.filter((method) => method !== 'OPTIONS' && !allowed.includes(method));
  const { lengthRule = 'post-put-patch' } = options;
  const refuse = async (request: FastifyRequest): Promise<never> => {
    if (lacksRequiredLength(request, lengthRule)) throw lengthRequiredError();
    throw methodNotAllowedError(allow);
  };
  // Refused in onRequest so that no body is read; the handler is never reached.
  app.route({
    method: others,
    url,
    config: { notAnOperation: true },
    onRequest: [...gateHooks(options.gate), refuse],
    handler: refuse,
  });
}

/**
 * The 404 of a path with more segments than the handler of `methods` takes (`/minions/<id>/extra`):
 * CherryPy finds the resource, runs its tools (the gate; the body is read as for the resource
 * itself), and only calling the handler fails, with its plain 404. Register the other methods of
 * the same path with {@link rejectOtherMethods}.
 */
export function refuseDeeperPaths(
  app: FastifyInstance,
  url: string,
  methods: readonly HTTPMethods[],
  gate?: AuthGate,
): void {
  app.route({
    method: [...methods],
    url,
    config: { notAnOperation: true },
    onRequest: gateHooks(gate),
    handler: async () => {
      throw nothingMatchesError();
    },
  });
}
