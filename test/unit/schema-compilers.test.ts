import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazySchemaCompilers } from '../../src/http/transport/schema-compilers.js';

/** The compilers loaded on first use still do what Fastify's defaults do, should a route declare a schema. */
describe('lazySchemaCompilers', () => {
  it('validates a body and serializes a response as Fastify would', async () => {
    const app = Fastify({ schemaController: { compilersFactory: lazySchemaCompilers() } });
    app.post(
      '/echo',
      {
        schema: {
          body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
          response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } },
        },
      },
      async (request) => ({ ...(request.body as object), extra: 'dropped by the serializer' }),
    );
    const refused = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toMatchObject({ code: 'FST_ERR_VALIDATION' });
    const ok = await app.inject({ method: 'POST', url: '/echo', payload: { n: 3 } });
    expect([ok.statusCode, ok.body]).toEqual([200, '{"n":3}']);
    await app.close();
  });
});
