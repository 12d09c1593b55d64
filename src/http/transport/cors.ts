/**
 * CORS. salt-api's cors_tool (salt/netapi/rest_cherrypy/app.py) puts the same three headers on
 * every response and echoes whatever `Origin` the request carries — `null` included — together
 * with `Access-Control-Allow-Credentials: true`, so any web page can read the API's answers with
 * the visitor's session cookie. salt-apid keeps the headers but is safe by default:
 *
 * - `cors_origin` unset: only the server's own origin (Origin host = Host header) is echoed. A UI
 *   served by salt-apid itself (`app`) is same-origin and needs no CORS at all.
 * - `cors_origin: '*'`: every origin is echoed except `null` (sandboxed frames, `file:` pages).
 * - a list: exactly those origins; `'*'` in the list as above; `'null'` only when listed.
 *   `cors_origin: ['*', 'null']` is salt-api's behaviour exactly.
 *
 * The preflight needs no authentication and answers 200 with an empty body, where salt-api
 * answers 500 (a CherryPy defect).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HTML_CONTENT_TYPE } from './errors.js';
import { PLUGIN, SEES_EVERY_ANSWER } from '../plugin-names.js';

const PREFLIGHT_METHODS = ['GET', 'POST'];
const ANY_ORIGIN = '*';
const OPAQUE_ORIGIN = 'null';

export type CorsOrigin = string | readonly string[] | undefined;

/** Whether `origin` (scheme://host[:port]) names the host the request was sent to. */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  try {
    const parsed = new URL(origin);
    if (parsed.origin !== origin.toLowerCase().replace(/\/$/, '')) return false;
    return parsed.host === new URL(`${parsed.protocol}//${host}`).host;
  } catch {
    return false;
  }
}

/**
 * Whether a request with this `Origin` may use the API from a browser: same-origin when
 * `cors_origin` is unset; else listed, or any non-`null` origin under `*`.
 */
export function originAllowed(origin: string, host: string | undefined, corsOrigin: CorsOrigin): boolean {
  if (corsOrigin === undefined) return isSameOrigin(origin, host);
  const allowed = typeof corsOrigin === 'string' ? [corsOrigin] : corsOrigin;
  if (allowed.includes(origin)) return true;
  return origin !== OPAQUE_ORIGIN && allowed.includes(ANY_ORIGIN);
}

/**
 * The `Access-Control-Allow-Origin` value for a request, or undefined to send none: `*` when the
 * request names no Origin (salt-api's value; browsers always send one cross-origin), the Origin
 * itself when it is allowed.
 */
export function allowedOrigin(headers: IncomingHttpHeaders, corsOrigin: CorsOrigin): string | undefined {
  const origin = headers.origin;
  if (origin === undefined) return ANY_ORIGIN;
  return originAllowed(origin, headers.host, corsOrigin) ? origin : undefined;
}

export interface CorsOptions {
  corsOrigin: CorsOrigin;
}

async function cors(app: FastifyInstance, { corsOrigin }: CorsOptions): Promise<void> {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = allowedOrigin(request.headers, corsOrigin);
    if (origin !== undefined) reply.header('Access-Control-Allow-Origin', origin);
    // Method names where header names belong: salt-api's value, kept as it is.
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

/**
 * The CORS headers on every answer and the preflight route. Its route takes the error handler
 * (a preflight can be refused by `authorized_ips`), so the error handling comes first.
 */
export const corsPlugin = fp(cors, { name: PLUGIN.cors, dependencies: [...SEES_EVERY_ANSWER, PLUGIN.errorHandling] });
