/**
 * Static files and the web app (docs/routes.md "App, static files and the HTML override"): `static`
 * under `static_path`, the `app` page at `app_path` and below it, and the undocumented `favicon` at
 * `/favicon.ico`. No authentication and no session on any of them.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { HTML_CONTENT_TYPE, HttpError, notFoundError } from '../errors.js';
import { decodedPath } from '../paths.js';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { mountPath } from '../paths.js';

const APP_METHODS: readonly HTTPMethods[] = ['GET', 'HEAD'];

/**
 * Content types by extension, as Python's `mimetypes` names them. CherryPy's `serve_file` sends
 * them as they are, text types included (no `charset`); only the app page is `text/html;charset=utf-8`.
 */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.xml': 'text/xml',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.pdf': 'application/pdf',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/vnd.microsoft.icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
};

export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Whole seconds, as HTTP dates carry them. */
const toSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * CherryPy's `serve_file`: the file with `Content-Type`, `Last-Modified`, `Accept-Ranges`, and a
 * 304 for an `If-Modified-Since` at or after the file's modification time. A missing file or a
 * directory is a 404 naming the request path.
 */
export async function serveFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: string,
  contentType: string,
): Promise<FastifyReply> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw notFoundError(decodedPath(request.url));

  reply.header('Last-Modified', new Date(toSeconds(info.mtimeMs) * 1000).toUTCString());
  reply.header('Accept-Ranges', 'bytes');

  const since = request.headers['if-modified-since'];
  if (since !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
    const sinceMs = Date.parse(since);
    // A 304 carries no Content-Type, as CherryPy's does not.
    if (!Number.isNaN(sinceMs) && toSeconds(info.mtimeMs) <= toSeconds(sinceMs)) return reply.code(304).send();
  }
  reply.header('Content-Type', contentType);
  reply.header('Content-Length', String(info.size));
  // An empty stream keeps the Content-Length above (Fastify's HEAD routes count other payloads).
  if (request.method === 'HEAD') return reply.send(Readable.from([]));
  return reply.send(createReadStream(file));
}

/** Stand-in for Salt's bundled demo page, served at `app_path` when `app` is not set. */
export const DEMO_APP_PAGE = `<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <title>salt-apid</title>
</head>
<body>
    <h1>salt-apid</h1>
    <p>This is the placeholder web app of salt-apid, a salt-api (rest_cherrypy) replacement.
    Set <code>app</code> in the <code>rest_cherrypy</code> configuration to serve your own
    (for example SaltGUI's <code>index.html</code>).</p>
    <p>The API answers under this server's root prefix: <code>POST /login</code>, then
    <code>POST /</code> with lowstate chunks.</p>
</body>
</html>
`;

/** Answers a request with the app page: the `app` file, or the built-in demo page. */
export function appPageServer(appFile: string | undefined) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    reply.header('Allow', APP_METHODS.join(', '));
    if (appFile !== undefined) return serveFile(request, reply, appFile, HTML_CONTENT_TYPE);
    return reply.type(HTML_CONTENT_TYPE).send(Buffer.from(DEMO_APP_PAGE, 'utf8'));
  };
}

/**
 * The file under `root` a static request names, or a 403 when the decoded path leaves `root`
 * (`..`, encoded or not, or an encoded `/`), as CherryPy's `staticdir` checks it.
 */
export function staticFile(root: string, decodedSubPath: string): string {
  if (decodedSubPath.includes('\0')) throw new HttpError(404);
  const base = resolve(root);
  const file = resolve(base, `.${sep}${decodedSubPath.replace(/^[\\/]+/, '')}`);
  if (file !== base && !file.startsWith(base + sep)) throw new HttpError(403);
  return file;
}

export async function staticRoutes(app: FastifyInstance): Promise<void> {
  const { rest } = app.settings;
  const prefix = mountPath(rest.rootPrefix);

  const staticDir = rest.static;
  if (staticDir !== undefined) {
    const staticPath = mountPath(rest.staticPath);
    const urlBase = prefix + staticPath;
    app.get(`${staticPath}/*`, async (request, reply) => {
      const subPath = decodedPath(request.url).slice(urlBase.length);
      const file = staticFile(staticDir, subPath);
      return serveFile(request, reply, file, contentTypeOf(file));
    });
  }

  await app.register(async (scope) => {
    sendAllow(scope, APP_METHODS);
    const appPath = mountPath(rest.appPath);
    const page = appPageServer(rest.app);
    for (const url of [appPath || '/', `${appPath}/*`]) {
      scope.get(url, page);
      rejectOtherMethods(scope, url, APP_METHODS);
    }
  });

  const favicon = rest.favicon;
  if (favicon !== undefined) {
    app.get('/favicon.ico', async (request, reply) => serveFile(request, reply, favicon, contentTypeOf(favicon)));
  }
}
