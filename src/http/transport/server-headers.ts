/** The headers every answer carries, errors and early answers included: `Server` and `Vary`. */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { PLUGIN } from '../plugin-names.js';

export interface ServerHeadersOptions {
  /** The `Server` header, e.g. `salt-apid/1.2.3`. */
  server: string;
}

async function serverHeaders(app: FastifyInstance, options: ServerHeadersOptions): Promise<void> {
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Server', options.server);
    reply.header('Vary', 'Accept-Encoding');
  });
}

export const serverHeadersPlugin = fp(serverHeaders, { name: PLUGIN.serverHeaders });
