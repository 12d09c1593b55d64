/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of this server (src/http/openapi/), built once
 * per audience from the settings it runs with, on the first request for it (the builder is not
 * loaded before). Without credentials the description is public, but `<webhook_url>` is described
 * the same for every configuration: the `webhooks` rules (which paths check what, which check
 * nothing) are described only to a caller whose session the master still honours, as the auth
 * gate would let through. Finding the session never fails the request: a caller whose session
 * cannot be checked (the master or the session cache down) gets the public description.
 */
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import type { Settings } from '../../config/types.js';
import type { OpenApiAudience } from '../openapi/document.js';
import { isSessionIdShape, presentedSessionId } from '../auth/sessions.js';
import { rejectOtherMethods, sendAllow } from './methods.js';

const OPENAPI_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

async function documentBytes(settings: Settings, audience: OpenApiAudience): Promise<Buffer> {
  const { openApiDocument } = await import('../openapi/document.js');
  return Buffer.from(JSON.stringify(openApiDocument(settings, audience)), 'utf8');
}

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const bodies = new Map<OpenApiAudience, Promise<Buffer>>();
  const bodyFor = (audience: OpenApiAudience): Promise<Buffer> => {
    let body = bodies.get(audience);
    if (body === undefined) {
      body = documentBytes(app.settings, audience);
      bodies.set(audience, body);
    }
    return body;
  };

  /** A live session (header or cookie) whose Salt token the master honours, as `app.authGate` asks. */
  async function loggedIn(request: FastifyRequest): Promise<boolean> {
    const id = presentedSessionId(request);
    if (id === undefined || !isSessionIdShape(id)) return false;
    try {
      const session = await app.sessions.resolve(id);
      if (session === undefined || Date.now() >= session.token.expire * 1000) return false;
      return (await app.tokenChecks.honoured(session.token.token)) !== null;
    } catch {
      return false;
    }
  }

  await app.register(async (scope) => {
    sendAllow(scope, OPENAPI_METHODS);
    scope.get('/openapi.json', async (request, reply) => {
      const audience: OpenApiAudience = (await loggedIn(request)) ? 'full' : 'public';
      // The answer depends on the credentials: no shared cache may give one caller's to another.
      const vary = reply.getHeader('Vary');
      reply.header('Vary', `${typeof vary === 'string' && vary !== '' ? `${vary}, ` : ''}X-Auth-Token, Cookie`);
      if (audience === 'full') reply.header('Cache-Control', 'private');
      return reply.type('application/json').send(await bodyFor(audience));
    });
    rejectOtherMethods(scope, '/openapi.json', OPENAPI_METHODS);
  });
}
