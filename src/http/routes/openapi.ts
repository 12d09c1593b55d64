/**
 * `GET /openapi.json`: the OpenAPI 3.1 description of this server (src/http/openapi/), built once
 * from the settings it runs with. No authentication: it says nothing the routes do not.
 */
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { openApiDocument } from '../openapi/document.js';
import { rejectOtherMethods, sendAllow } from './methods.js';

const OPENAPI_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  const body = Buffer.from(JSON.stringify(openApiDocument(app.settings)), 'utf8');
  await app.register(async (scope) => {
    sendAllow(scope, OPENAPI_METHODS);
    scope.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(body));
    rejectOtherMethods(scope, '/openapi.json', OPENAPI_METHODS);
  });
}
