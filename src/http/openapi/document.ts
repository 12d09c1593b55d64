/**
 * The OpenAPI 3.1 description of salt-apid, built from the settings it runs with: the routes it
 * mounts (`enable_sessions`, `event_hub`, `static`, `favicon`), where (`root_prefix` as the server
 * URL, `webhook_url`, `metrics_path`, `app_path`, `static_path`) and how they authenticate.
 * Every GET also answers HEAD, and every path answers the CORS preflight (OPTIONS): neither is
 * described per path.
 */
import type { Settings } from '../../config/types.js';
import { VERSION } from '../../version.js';
import { mountPath } from '../transport/paths.js';
import { REQUEST_BODIES, RESPONSES, SECURITY_SCHEMES } from './operation.js';
import { opsPaths } from './paths-ops.js';
import { saltPaths } from './paths-salt.js';
import { streamPaths, type OpenApiAudience } from './paths-streams.js';
import { SCHEMAS, type OpenApiObject } from './schemas.js';

const DESCRIPTION = [
  "A drop-in replacement for Salt's `salt-api` (rest_cherrypy), speaking the master's own wire protocol.",
  '',
  "- Every `GET` also answers `HEAD`; every path answers the CORS preflight (`OPTIONS`); every other method of a described path is a 405 with `Allow`, and a path below a resource that its methods do not take is a 404 (both after the resource's authentication; a `PUT` or `PATCH` without `Content-Length` is a 411 before the 405).",
  '- Replies are JSON or YAML by `Accept` (no `Accept`, `*/*` → JSON; `application/x-yaml` → YAML).',
  '- Errors are CherryPy\'s HTML error page, or the envelope `{"status": N, "return": "..."}` in the negotiated format.',
  '- Authentication: the session id from `POST /login` in `X-Auth-Token` or the `session_id` cookie; on `/run`, `/token` and `POST /keys` the credentials travel in the body (`token`, or `username`/`password`/`eauth` in each chunk).',
  '- With `app` set, a request whose `Accept` asks for HTML gets the app page on any path.',
].join('\n');

const TAGS = ['Lowstate', 'Sessions', 'Minions and jobs', 'Keys', 'Events', 'Webhooks', 'Operations', 'App'];

export type { OpenApiAudience } from './paths-streams.js';

/**
 * The description for `audience`: `full` (a caller with a session, and docs/openapi.json) or
 * `public` (no credentials), which describes `<webhook_url>` without the deployment's `webhooks`
 * rules: which paths check what, and which check nothing, is for logged-in callers.
 */
export function openApiDocument(settings: Settings, audience: OpenApiAudience = 'full'): OpenApiObject {
  const { rest } = settings;
  return {
    openapi: '3.1.0',
    info: {
      title: 'salt-apid',
      version: VERSION,
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: mountPath(rest.rootPrefix) || '/', description: '`root_prefix`' }],
    tags: TAGS.map((name) => ({ name })),
    paths: { ...saltPaths(rest), ...streamPaths(settings, audience), ...opsPaths(rest) },
    components: {
      schemas: SCHEMAS,
      responses: RESPONSES,
      requestBodies: REQUEST_BODIES,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
