/**
 * Building blocks of the OpenAPI operations: the error responses (CherryPy's HTML page or the
 * `{"status", "return"}` envelope), the request bodies salt-apid parses, the security schemes, and
 * `operation()`, which puts one operation together.
 */
import { ref, type OpenApiObject } from './schemas.js';

/** Replies negotiated by `Accept`: JSON (the default) or YAML. */
export function negotiated(schema: OpenApiObject): OpenApiObject {
  return { 'application/json': { schema }, 'application/x-yaml': { schema } };
}

export function reply(description: string, content?: OpenApiObject, headers?: OpenApiObject): OpenApiObject {
  return { description, ...(headers && { headers }), ...(content && { content }) };
}

const ERRORS: Record<number, string> = {
  400: 'Bad request: an unreadable body (invalid JSON or YAML), a body that is not lowstate, a chunk Salt refuses (unknown or disabled client), or a malformed `Accept` q-value.',
  401: 'Not authenticated: no session or token, an expired or unknown one, or credentials the master refused.',
  403: 'Forbidden: the client address is outside `authorized_ips`, or its certificate CN outside `ssl_allowed_cn`.',
  404: 'Not found: CherryPy answers 404 for query parameters the route does not declare.',
  405: 'Method not allowed; `Allow` lists the methods of the route.',
  406: 'Not acceptable: no reply format matches `Accept`, or the body has an unsupported `Content-Type`.',
  411: 'Length required: a body with neither `Content-Length` nor chunked encoding.',
  413: 'The body is over `max_request_body_size`, or a value is too large to send to the master (envelope).',
  429: 'Too many: failed logins for this user and address (`Retry-After` says when to try again), or open event streams for this session or user (`max_streams_per_session`, `max_streams_per_user`) (envelope).',
  500: 'An unexpected failure: the envelope `{"status": 500, "return": "An unexpected error occurred"}`; CherryPy\'s error page when the session store (`session_store: cache`) fails or does not answer.',
  501: 'Not implemented: an `ssh` chunk without salt-ssh on this host.',
  503: 'The Salt master is not available or did not answer in time; or too many checks of unknown tokens at once (`Retry-After`).',
  504: 'A synchronous runner ran past its timeout.',
};

const ERROR_HEADERS: Record<number, OpenApiObject> = {
  405: { Allow: { description: "The route's methods.", schema: { type: 'string' } } },
  429: {
    'Retry-After': {
      description: 'Seconds to wait (failed logins; absent for stream limits).',
      schema: { type: 'integer' },
    },
  },
  503: {
    'Retry-After': {
      description: 'Only when checks of unknown tokens are over their rate.',
      schema: { type: 'integer' },
    },
  },
};

/** Every error answer: CherryPy's XHTML page, or the negotiated envelope for the cases that use it. */
function errorResponse(status: number): OpenApiObject {
  return reply(ERRORS[status] ?? 'Error', errorContent(), ERROR_HEADERS[status]);
}

function errorContent(): OpenApiObject {
  return {
    'text/html': { schema: { type: 'string', description: "CherryPy's error page; the message in its `<p>`." } },
    ...negotiated(ref('ErrorEnvelope')),
  };
}

export const ERROR_STATUSES = Object.keys(ERRORS).map(Number);

export const RESPONSES: OpenApiObject = Object.fromEntries(
  ERROR_STATUSES.map((status) => [`Error${status}`, errorResponse(status)]),
);

/** What every route can answer: address/certificate checks, other methods, `Accept`, failures. */
const COMMON_ERRORS = [403, 405, 406, 500];
/** What reading a body can add. */
export const BODY_ERRORS = [400, 406, 411, 413];
/** What running lowstate on the master can add. */
export const LOWSTATE_ERRORS = [...BODY_ERRORS, 401, 429, 501, 503, 504];

const FORM_FIELDS: OpenApiObject = {
  type: 'object',
  description:
    "Form fields: a field given once is a string, repeated a list; `arg` (always a list) and `kwarg` values are read as YAML 1.1 (Salt's `yamlify_arg`).",
  additionalProperties: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
};

/** The body formats of `body.ts`, matched without parameters; a body is read only with `Content-Length`. */
export function bodyContent(schema: OpenApiObject): OpenApiObject {
  return {
    'application/json': { schema },
    'application/x-yaml': { schema },
    'text/yaml': { schema },
    'application/x-www-form-urlencoded': { schema: FORM_FIELDS },
    'text/plain': {
      schema: { ...schema, description: 'JSON text (what browsers send for a `fetch()` body without a type).' },
    },
  };
}

export const REQUEST_BODIES: OpenApiObject = {
  Lowstate: { description: 'Lowstate: chunks to run.', required: true, content: bodyContent(ref('Lowstate')) },
  Credentials: {
    description: 'eauth credentials: a mapping, or a list whose first item is one.',
    content: bodyContent({ oneOf: [ref('Credentials'), { type: 'array', items: ref('Credentials') }] }),
  },
};

export const SECURITY_SCHEMES: OpenApiObject = {
  XAuthToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: 'The session id `POST /login` answers (also taken as a Salt token by `/events`).',
  },
  SessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: 'session_id',
    description: 'The session cookie `POST /login` sets.',
  },
  MetricsBearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'The token in `metrics_token_file` (a Prometheus `credentials_file`); `/metrics` only.',
  },
  EventHubToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Auth-Token',
    description: "`event_hub`'s token (salt-event-hub's `X-AUTH-TOKEN`), not a session.",
  },
};

/** A session (or, on `/events`, a Salt token) in the header or the cookie. */
export const SESSION_SECURITY = [{ XAuthToken: [] }, { SessionCookie: [] }];

export interface OperationSpec {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  security?: OpenApiObject[];
  parameters?: OpenApiObject[];
  requestBody?: OpenApiObject;
  /** Success answers by status. */
  ok: Record<string, OpenApiObject>;
  /** Error statuses beyond the common ones (403, 405, 406, 500). */
  errors?: number[];
  /** Common statuses the route cannot answer: 405 without a 405 route, 406 without negotiation. */
  omit?: number[];
  /** Text answers of their own instead of the common errors (the event hub). */
  ownErrors?: Record<string, OpenApiObject>;
}

export function operation(spec: OperationSpec): OpenApiObject {
  const statuses = [...new Set([...COMMON_ERRORS, ...(spec.errors ?? [])])]
    .filter((status) => !(spec.omit ?? []).includes(status))
    .sort((a, b) => a - b);
  const errors = Object.fromEntries(
    statuses.map((status) => [String(status), { $ref: `#/components/responses/Error${status}` }]),
  );
  return {
    operationId: spec.operationId,
    summary: spec.summary,
    ...(spec.description !== undefined && { description: spec.description }),
    tags: spec.tags,
    ...(spec.security && { security: spec.security }),
    ...(spec.parameters && { parameters: spec.parameters }),
    ...(spec.requestBody && { requestBody: spec.requestBody }),
    responses: { ...spec.ok, ...errors, ...spec.ownErrors },
  };
}

export function pathParameter(
  name: string,
  description: string,
  schema: OpenApiObject = { type: 'string' },
): OpenApiObject {
  return { name, in: 'path', required: true, description, schema };
}

export function queryParameter(
  name: string,
  description: string,
  schema: OpenApiObject = { type: 'string' },
): OpenApiObject {
  return { name, in: 'query', required: false, description, schema };
}

export const LOWSTATE_BODY = { $ref: '#/components/requestBodies/Lowstate' };
export const CREDENTIALS_BODY = { $ref: '#/components/requestBodies/Credentials' };
