/**
 * HTTP errors and the one place that turns any thrown error into a reply (docs/routes.md "Errors").
 *
 * Two body shapes, as in salt-api: CherryPy's HTML error page for errors raised as HTTP errors,
 * and the `{"status": N, "return": "..."}` envelope (negotiated JSON/YAML) for unexpected
 * failures and for the client mistakes salt-api answers with a server error (docs/routes.md
 * "Deliberate differences from salt-api").
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { InvalidRequestError, SaltError } from '../../salt/errors.js';
import { negotiateResponse } from './negotiate.js';
import { serialize } from './serialize.js';
import { decodedPath } from './paths.js';
import { PLUGIN } from '../plugin-names.js';
import { lacksRequiredLength } from './request-length.js';

/** Reason phrases and default messages: CherryPy's `httputil.response_codes` (Python 3.11's table). */
const STATUS_TEXT: Readonly<Record<number, readonly [reason: string, message: string]>> = {
  400: ['Bad Request', 'Bad request syntax or unsupported method'],
  401: ['Unauthorized', 'No permission -- see authorization schemes'],
  403: ['Forbidden', 'Request forbidden -- authorization will not help'],
  404: ['Not Found', 'Nothing matches the given URI'],
  405: ['Method Not Allowed', 'Specified method is invalid for this resource'],
  406: ['Not Acceptable', 'URI not available in preferred format'],
  408: ['Request Timeout', 'Request timed out; try again later'],
  411: ['Length Required', 'Client must specify Content-Length'],
  412: ['Precondition Failed', 'Precondition in request header failed'],
  413: ['Request Entity Too Large', 'Entity is too large'],
  414: ['Request-URI Too Long', 'URI is too long'],
  415: ['Unsupported Media Type', 'Entity body in unsupported format'],
  416: ['Requested Range Not Satisfiable', 'Cannot satisfy request range'],
  429: ['Too Many Requests', 'The user has sent too many requests in a given amount of time ("rate limiting")'],
  500: [
    'Internal Server Error',
    'The server encountered an unexpected condition which prevented it from fulfilling the request.',
  ],
  501: ['Not Implemented', 'Server does not support this operation'],
  502: ['Bad Gateway', 'Invalid responses from another server/proxy'],
  503: [
    'Service Unavailable',
    'The server is currently unable to handle the request due to a temporary overloading or maintenance of the server.',
  ],
  504: ['Gateway Timeout', 'The gateway server did not receive a timely response'],
};

export function reasonPhrase(status: number): string {
  return STATUS_TEXT[status]?.[0] ?? '';
}

function defaultMessage(status: number): string {
  return STATUS_TEXT[status]?.[1] ?? '';
}

/** `page`: CherryPy's HTML error page; `envelope`: `{"status": N, "return": message}`. */
export type ErrorBodyShape = 'page' | 'envelope';

export interface HttpErrorOptions {
  /** Response headers the error answer carries (e.g. `Allow` on a 405). */
  headers?: Readonly<Record<string, string>>;
  shape?: ErrorBodyShape;
  cause?: unknown;
}

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly shape: ErrorBodyShape;

  constructor(status: number, message?: string, options: HttpErrorOptions = {}) {
    super(message ?? defaultMessage(status), { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.headers = options.headers ?? {};
    this.shape = options.shape ?? 'page';
  }
}

/** CherryPy's NotFound for an unknown path; `path` is the decoded path without the query. */
export function notFoundError(path: string): HttpError {
  return new HttpError(404, `The path '${path}' was not found.`);
}

/**
 * CherryPy's 404 when the resource exists but its handler cannot take the path (more segments
 * than it has arguments): the stock message, "Nothing matches the given URI".
 */
export function nothingMatchesError(): HttpError {
  return new HttpError(404);
}

/**
 * CherryPy's answer to query parameters a handler does not declare: a bare 404, naming the
 * parameters only in debug (development) mode.
 */
export function unexpectedQueryError(names: readonly string[], debug: boolean): HttpError {
  return new HttpError(404, debug ? `Unexpected query string parameters: ${names.join(', ')}` : undefined);
}

/** CherryPy's 411 for a request whose body it must read and that declares no length. */
export function lengthRequiredError(): HttpError {
  return new HttpError(411);
}

export function methodNotAllowedError(allow: string): HttpError {
  return new HttpError(405, undefined, { headers: { Allow: allow } });
}

/**
 * Wire-layer failures as salt-api answers them (docs/routes.md "Errors"): each kind of SaltError
 * has one status; the message is the master's or salt-api's own text.
 */
function saltErrorToHttp(error: SaltError): HttpError | undefined {
  switch (error.kind) {
    case 'invalid': {
      const ownRefusal = error instanceof InvalidRequestError && !error.saltInvocation;
      return new HttpError(400, error.message, { cause: error, shape: ownRefusal ? 'envelope' : 'page' });
    }
    case 'auth':
      return new HttpError(401, error.message, { cause: error });
    case 'unavailable':
      return new HttpError(503, 'Salt Master is not available.', { cause: error });
    case 'timeout':
      return new HttpError(503, `Salt Master is not available: ${error.message}`, { cause: error });
    case 'job-timeout':
      return new HttpError(504, 'The gateway server did not receive a timely response', { cause: error });
    case 'not-implemented':
      return new HttpError(501, error.message, { cause: error });
    case 'too-large':
      return new HttpError(413, `The request is too large to send to the master: ${error.message}.`, {
        shape: 'envelope',
        cause: error,
      });
    case 'bad-reply':
    case 'slow-consumer':
    case 'closed':
      return undefined;
  }
}

function isFastifyError(error: unknown): error is FastifyError {
  return error instanceof Error && typeof (error as Partial<FastifyError>).code === 'string';
}

/**
 * THE mapping from thrown errors to HTTP answers. Undefined means "unexpected": the 500 envelope.
 */
function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;

  if (error instanceof SaltError) return saltErrorToHttp(error);

  if (isFastifyError(error)) {
    switch (error.code) {
      // A Content-Type header that is not even `type/subtype` is just an unsupported one to CherryPy.
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return new HttpError(406, 'Content type not supported', { cause: error });
      default:
        if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
          return new HttpError(error.statusCode, undefined, { cause: error });
        }
    }
  }
  return undefined;
}

/** The status a thrown error is answered with (500 for the unexpected ones). */
export function errorStatus(error: unknown): number {
  return toHttpError(error)?.status ?? 500;
}

const escapeHtml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface ErrorPage {
  status: number;
  message: string;
  traceback: string;
  version: string;
}

/** CherryPy's `_HTTPErrorTemplate`, crediting salt-apid. */
export function renderErrorPage(page: ErrorPage): string {
  const statusLine = escapeHtml(`${page.status} ${reasonPhrase(page.status)}`);
  return `<!DOCTYPE html PUBLIC
"-//W3C//DTD XHTML 1.0 Transitional//EN"
"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html>
<head>
    <meta http-equiv="Content-Type" content="text/html; charset=utf-8"></meta>
    <title>${statusLine}</title>
    <style type="text/css">
    #powered_by {
        margin-top: 20px;
        border-top: 2px solid black;
        font-style: italic;
    }

    #traceback {
        color: red;
    }
    </style>
</head>
    <body>
        <h2>${statusLine}</h2>
        <p>${escapeHtml(page.message)}</p>
        <pre id="traceback">${escapeHtml(page.traceback)}</pre>
    <div id="powered_by">
      <span>
        Powered by salt-apid ${escapeHtml(page.version)}
      </span>
    </div>
    </body>
</html>
`;
}

export const HTML_CONTENT_TYPE = 'text/html;charset=utf-8';

export interface ErrorHandlingOptions {
  /** `rest_cherrypy.debug`: tracebacks in error pages and in the 500 envelope. */
  debug: boolean;
  version: string;
  /**
   * The mount point of `root_prefix` without a trailing `/` (`''` for `/`). Under it an unknown
   * path is dispatched by CherryPy, which reads a body first (411 without a length); outside it
   * nothing is mounted and the answer is a 404 whatever the request.
   */
  mountPrefix?: string;
}

async function errorHandling(app: FastifyInstance, options: ErrorHandlingOptions): Promise<void> {
  const tracebackOf = (error: Error): string => (options.debug ? (error.stack ?? '') : '');

  function sendPage(reply: FastifyReply, status: number, message: string, traceback: string): void {
    const page = renderErrorPage({ status, message, traceback, version: options.version });
    void reply.code(status).type(HTML_CONTENT_TYPE).send(Buffer.from(page, 'utf8'));
  }

  function sendEnvelope(request: FastifyRequest, reply: FastifyReply, status: number, message: string): void {
    const negotiated = negotiateResponse(request.headers.accept);
    if (!negotiated.ok) {
      sendPage(reply, negotiated.status, negotiated.message, '');
      return;
    }
    const body = serialize({ status, return: message }, negotiated.mediaType);
    void reply.code(status).type(negotiated.mediaType).send(Buffer.from(body, 'utf8'));
  }

  app.setErrorHandler((error: Error, request, reply) => {
    // The client left before the answer (a browser closed during a long call): nothing went
    // wrong here, and nobody is there to read an answer.
    if (reply.raw.destroyed && !reply.raw.writableFinished) {
      request.log.info({ reason: error.message }, 'the client went away before the answer');
      return;
    }
    const httpError = toHttpError(error);
    if (httpError === undefined) {
      request.log.error({ err: error }, 'unexpected error while handling the request');
      sendEnvelope(
        request,
        reply,
        500,
        options.debug ? (error.stack ?? String(error)) : 'An unexpected error occurred',
      );
      return;
    }
    if (httpError.status >= 500) request.log.error({ err: httpError.cause ?? httpError }, httpError.message);
    for (const [name, value] of Object.entries(httpError.headers)) reply.header(name, value);
    if (httpError.shape === 'envelope') sendEnvelope(request, reply, httpError.status, httpError.message);
    else sendPage(reply, httpError.status, httpError.message, tracebackOf(httpError));
  });

  const mountPrefix = options.mountPrefix ?? '';
  const mounted = (path: string): boolean => path === mountPrefix || path.startsWith(`${mountPrefix}/`);
  app.setNotFoundHandler(async (request) => {
    const path = decodedPath(request.url);
    if (mounted(path) && lacksRequiredLength(request, 'post-put-patch')) throw lengthRequiredError();
    throw notFoundError(path);
  });
}

/**
 * The error handler and the 404 page of the whole application. A route takes the error handler
 * its instance has when it is registered: every plugin that adds routes comes after this one.
 */
export const errorHandlingPlugin = fp(errorHandling, { name: PLUGIN.errorHandling });
