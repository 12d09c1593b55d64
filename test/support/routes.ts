import Fastify, { type HTTPMethods, type RouteOptions } from 'fastify';
import pino from 'pino';
import type { Settings } from '../../src/config/types.js';
import { appPlugins } from '../../src/http/app.js';
import { mountPath } from '../../src/http/transport/paths.js';

/** `GET /minions/{mid}`: one operation, as the OpenAPI document names it. */
export type OperationKey = string;

const DOCUMENT_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A Fastify route path as OpenAPI writes it: `:mid` → `{mid}`, `:token(^…$)` → `{token}`, `/*` → `/{path}`. */
export function openApiPath(fastifyUrl: string, prefix: string): string {
  const local = fastifyUrl.startsWith(prefix) ? fastifyUrl.slice(prefix.length) : fastifyUrl;
  return (local || '/').replace(/:(\w+)(\([^/]*\))?/g, '{$1}').replace(/\/\*$/, '/{path}');
}

/**
 * The operations of the application built with `settings`, collected with an `onRoute` hook.
 * Left out: the refusal routes of `methods.ts` (config `notAnOperation`: 405s, deeper paths' 404s), the CORS preflight
 * (`OPTIONS *`), and the HEAD route Fastify adds beside every GET. A HEAD without its GET is kept,
 * so that it shows up as undescribed.
 */
export async function appOperations(settings: Settings): Promise<Set<OperationKey>> {
  const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
  });
  for (const { register } of appPlugins({ settings, logger: pino({ level: 'silent' }) })) await register(app);
  await app.ready();
  await app.close();
  const prefix = mountPath(settings.rest.rootPrefix);
  const operations = new Set<OperationKey>();
  for (const route of routes) {
    if (route.config?.notAnOperation === true) continue;
    if (route.method === 'OPTIONS' && route.url === '*') continue;
    const methods: HTTPMethods[] = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) operations.add(`${method} ${openApiPath(route.url, prefix)}`);
  }
  for (const key of operations) {
    if (key.startsWith('HEAD ') && operations.has(key.replace(/^HEAD /, 'GET '))) operations.delete(key);
  }
  return operations;
}

/** The operations an OpenAPI document describes, `METHOD path`. */
export function documentOperations(document: Record<string, unknown>): Set<OperationKey> {
  const operations = new Set<OperationKey>();
  const paths = (document['paths'] ?? {}) as Record<string, object>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item)) {
      if (DOCUMENT_METHODS.includes(method)) operations.add(`${method.toUpperCase()} ${path}`);
    }
  }
  return operations;
}
