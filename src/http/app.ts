/**
 * The Fastify application: common headers, CORS, body parsers, error mapping, negotiated replies
 * and the routes (rest-api.md §2, §3, §16).
 */
import { readFileSync } from 'node:fs';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Settings } from '../config/types.js';
import { installBodyParsers } from './body.js';
import { installCors } from './cors.js';
import { HttpError, installErrorHandling } from './errors.js';
import { negotiateResponse } from './negotiate.js';
import { rootRoutes } from './routes/root.js';
import { serialize } from './serialize.js';

declare module 'fastify' {
  interface FastifyInstance {
    settings: Settings;
  }
  interface FastifyReply {
    /**
     * Sends `value` as salt-api does: serialised in the format the Accept header picks, with
     * `Content-Type` exactly `application/json` or `application/x-yaml`. Throws 406 when no
     * format is acceptable — after the handler ran, as in salt-api (rest-api.md §2 step 10).
     */
    sendSalt(value: unknown): FastifyReply;
  }
}

export interface AppDeps {
  settings: Settings;
  logger: Logger;
}

export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const REDACTED = '[redacted]';

/**
 * A request URL fit for the log: `/events` and `/ws` can carry a token in the query string or
 * as a path segment (rest-api.md §8.1, §9, §14), so both are cut.
 */
export function redactUrl(url: string, rootPrefix: string): string {
  const base = rootPrefix.endsWith('/') ? rootPrefix : `${rootPrefix}/`;
  for (const route of ['events', 'ws']) {
    const routePath = base + route;
    if (!url.startsWith(routePath)) continue;
    const rest = url.slice(routePath.length);
    if (rest === '' || rest === '/') return url;
    if (rest.startsWith('?')) return `${routePath}?${REDACTED}`;
    if (rest.startsWith('/')) return `${routePath}/${REDACTED}`;
  }
  return url;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

function httpLogger(logger: Logger, rootPrefix: string): FastifyBaseLogger {
  return logger.child(
    {},
    {
      serializers: {
        req: (request: LoggedRequest) => ({
          method: request.method,
          url: request.url === undefined ? undefined : redactUrl(request.url, rootPrefix),
          remoteAddress: request.ip,
          remotePort: request.socket?.remotePort,
        }),
      },
      redact: {
        paths: ['req.headers["x-auth-token"]', 'req.headers.cookie', 'headers["x-auth-token"]', 'headers.cookie'],
        censor: REDACTED,
      },
    },
  );
}

function sendSalt(this: FastifyReply, value: unknown): FastifyReply {
  const negotiated = negotiateResponse(this.request.headers.accept);
  if (!negotiated.ok) throw new HttpError(negotiated.status, negotiated.message);
  let body: string;
  try {
    body = serialize(value, negotiated.mediaType);
  } catch (cause) {
    throw new HttpError(500, 'Could not serialize the return data from Salt.', { cause });
  }
  // A Buffer keeps Fastify from appending `; charset=utf-8` to a JSON Content-Type.
  return this.type(negotiated.mediaType).send(Buffer.from(body, 'utf8'));
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { rest } = deps.settings;
  const app = Fastify({
    loggerInstance: httpLogger(deps.logger, rest.rootPrefix),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: rest.maxRequestBodySize,
  });

  app.decorate('settings', deps.settings);
  app.decorateReply('sendSalt', sendSalt);

  const serverHeader = `salt-apid/${VERSION}`;
  app.addHook('onRequest', async (_request, reply) => {
    reply.header('Server', serverHeader);
    reply.header('Vary', 'Accept-Encoding');
  });
  installCors(app, rest.corsOrigin);
  installBodyParsers(app, rest.maxRequestBodySize);
  installErrorHandling(app, { debug: rest.debug, version: VERSION });

  await app.register(rootRoutes);
  return app;
}
