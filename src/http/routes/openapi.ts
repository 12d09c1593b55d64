/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of this server (src/http/openapi/), built once
 * from the settings it runs with, on the first request for it (the builder is not loaded before).
 * No authentication: it says nothing the routes do not.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { Settings } from '../../config/types.js';
import { rejectOtherMethods, sendAllow } from './methods.js';

const OPENAPI_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

async function documentBytes(settings: Settings): Promise<Buffer> {
  const { openApiDocument } = await import('../openapi/document.js');
  return Buffer.from(JSON.stringify(openApiDocument(settings)), 'utf8');
}

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  let body: Promise<Buffer> | undefined;
  await app.register(async (scope) => {
    sendAllow(scope, OPENAPI_METHODS);
    scope.get('/openapi.json', async (_request, reply) =>
      reply.type('application/json').send(await (body ??= documentBytes(app.settings))),
    );
    rejectOtherMethods(scope, '/openapi.json', OPENAPI_METHODS);
  });
}
