/**
 * Static files and the web app (docs/routes.md "App, static files and the HTML override"): `static`
 * under `static_path`, the `app` page at `app_path` and below it, and the undocumented `favicon` at
 * `/favicon.ico`. No authentication and no session on any of them.
 */
import { basename, dirname, extname } from 'node:path';
import type send from '@fastify/send';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { HTML_CONTENT_TYPE, HttpError, notFoundError } from '../transport/errors.js';
import { decodedPath } from '../transport/paths.js';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { mountPath } from '../transport/paths.js';

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

/**
 * How @fastify/send is asked to serve: Range (206, 416), ETag and the conditional requests (304,
 * 412), Last-Modified. No Cache-Control, no index file, dotfiles served, as CherryPy's `staticdir`
 * does; the Content-Type is ours (`send` would add a charset to text types).
 */
const SEND_OPTIONS = {
  acceptRanges: true,
  cacheControl: false,
  contentType: false,
  dotfiles: 'allow',
  etag: true,
  index: false,
  lastModified: true,
} as const;

/** CherryPy's message when no byte of a Range is in the file. */
const RANGE_NOT_SATISFIABLE = 'Invalid Range (first-byte-pos greater than Content-Length)';

/** A file to answer with: `path` (decoded) under `root`, which it may not leave. */
export interface FileToServe {
  root: string;
  path: string;
  contentType: (file: string) => string;
}

/** Percent-encodes each segment, so that `send` decodes back exactly the path asked for. */
function encodePath(decoded: string): string | undefined {
  try {
    return decoded.split('/').map(encodeURIComponent).join('/');
  } catch {
    return undefined;
  }
}

/** CherryPy's answer for what `send` refused: its error page, never `send`'s own. */
function refusal(result: send.ErrorSendResult, notFound: () => HttpError): HttpError {
  switch (result.statusCode) {
    case 403:
      return new HttpError(403);
    case 412:
      return new HttpError(412);
    case 416:
      return new HttpError(416, RANGE_NOT_SATISFIABLE, {
        headers: { 'Content-Range': String(result.headers['Content-Range']) },
      });
    default:
      // A missing file, or one that cannot be looked at: CherryPy's serve_file says NotFound.
      return notFound();
  }
}

/**
 * CherryPy's `serve_file` through @fastify/send: the file with its `Content-Type`,
 * `Last-Modified`, `ETag` and `Accept-Ranges`; 206 for a satisfiable Range, 416 otherwise; 304
 * (without `Content-Type`) for a matching `If-None-Match` or an `If-Modified-Since` at or after the
 * modification time. A missing file or a directory is a 404 naming the request path, a path that
 * leaves `root` a 403.
 */
export async function serveFile(
  request: FastifyRequest,
  reply: FastifyReply,
  file: FileToServe,
): Promise<FastifyReply> {
  const notFound = (): HttpError => notFoundError(decodedPath(request.url));
  // A trailing slash names a directory, and directories are not served.
  let end = file.path.length;
  while (end > 0 && file.path[end - 1] === '/') end--;
  const asDirectory = end < file.path.length;
  const encoded = encodePath(file.path.slice(0, end));
  if (encoded === undefined || file.path.includes('\0')) throw notFound();
  // Loaded on the first file served: most servers serve none (no `static`, `app` or `favicon`).
  const { default: sendFile } = await import('@fastify/send');
  const result = await sendFile(request.raw, encoded, { ...SEND_OPTIONS, root: file.root });
  if (result.type === 'error' || result.type === 'directory' || asDirectory) {
    result.stream.destroy();
    throw result.type === 'error' ? refusal(result, notFound) : notFound();
  }
  reply.code(result.statusCode).headers(result.headers);
  if (result.statusCode === 304) {
    result.stream.destroy();
    return reply.send();
  }
  reply.header('Content-Type', file.contentType(result.metadata.path));
  // On HEAD the stream is empty and the Content-Length above stays.
  return reply.send(result.stream);
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
    if (appFile !== undefined)
      return serveFile(
        request,
        reply,
        singleFile(appFile, () => HTML_CONTENT_TYPE),
      );
    return reply.type(HTML_CONTENT_TYPE).send(Buffer.from(DEMO_APP_PAGE, 'utf8'));
  };
}

/** One file, served whatever the URL below its path is. */
function singleFile(path: string, contentType: (file: string) => string): FileToServe {
  return { root: dirname(path), path: basename(path), contentType };
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
      return serveFile(request, reply, { root: staticDir, path: subPath, contentType: contentTypeOf });
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
    app.get('/favicon.ico', async (request, reply) => serveFile(request, reply, singleFile(favicon, contentTypeOf)));
  }
}
