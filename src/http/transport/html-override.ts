/**
 * rest_cherrypy's `html_override_tool` (docs/routes.md "App, static files and the HTML override"):
 * with `app` configured, a request that asks for HTML gets the app page, whatever its path and
 * method — this is what lets a single-page app (SaltGUI) live at `/` and on its deep links, while
 * its own API calls, sent with `Accept: application/json`, reach the API.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { decodedPath } from './paths.js';
import { negotiate } from './negotiate.js';
import { PLUGIN, SEES_EVERY_ANSWER } from '../plugin-names.js';

const HTML: readonly ['text/html'] = ['text/html'];

/**
 * Whether an Accept header asks for the app page: absent, or accepting `text/html` by CherryPy's
 * rules (any list with `*` / `*` in it does), but not exactly `*` / `*` (curl's and fetch's default).
 * A malformed header is no request for HTML: the API answers it (with its 400).
 */
export function wantsHtml(accept: string | undefined): boolean {
  if (accept === '*/*') return false;
  return negotiate(accept, HTML).ok;
}

export interface HtmlOverrideOptions {
  /** The mount point of the API without a trailing `/` (`''` for `/`): only paths under it are overridden. */
  prefix: string;
  /**
   * Paths (relative to the mount point) that are never overridden, compared as plain string
   * prefixes as salt-api does: `app_path`, `static_path` — and `/favicon.ico` when it is served.
   */
  exempt: readonly string[];
  /** Answers the request with the app page; undefined when no `app` is configured: no override. */
  serve: ((request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>) | undefined;
}

/**
 * The override is an onRequest hook: it answers before the body is read, before sessions and
 * authentication, for every method. WebSocket handshakes are left alone (browsers may send them
 * without an Accept header; salt-api would break them — a deliberate difference).
 */
async function htmlOverride(app: FastifyInstance, options: HtmlOverrideOptions): Promise<void> {
  const { prefix, exempt, serve } = options;
  if (serve === undefined) return;
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const path = decodedPath(request.url);
    if (prefix !== '' && !path.startsWith(`${prefix}/`)) return;
    const pathInfo = path.slice(prefix.length);
    if (exempt.some((exemptPath) => pathInfo.startsWith(exemptPath))) return;
    if (request.headers.upgrade !== undefined) return;
    if (!wantsHtml(request.headers.accept)) return;
    return serve(request, reply);
  });
}

/**
 * After CORS (the app page carries the CORS headers). Its answer comes before any body is looked
 * at, as salt-api's override runs before CherryPy reads the body: the app page is served as a GET.
 */
export const htmlOverridePlugin = fp(htmlOverride, {
  name: PLUGIN.htmlOverride,
  dependencies: [...SEES_EVERY_ANSWER, PLUGIN.cors],
});
