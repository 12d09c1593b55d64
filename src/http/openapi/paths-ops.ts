/**
 * salt-apid's operational routes (`/stats`, `/healthz`, `/readyz`, `<metrics_path>`,
 * `/openapi.json`) and the web app, static files and favicon when configured.
 */
import type { RestSettings } from '../../config/types.js';
import { mountPath } from '../transport/paths.js';
import { SESSION_SECURITY, negotiated, operation, pathParameter, reply } from './operation.js';
import { ref, type OpenApiObject } from './schemas.js';

const json = (schema: OpenApiObject): OpenApiObject => ({ 'application/json': { schema } });

function operationsPaths(rest: RestSettings): Record<string, OpenApiObject> {
  return {
    '/stats': {
      get: operation({
        operationId: 'stats',
        summary: "The server's counters (SaltGUI polls it)",
        description: rest.statsDisableAuth ? 'No authentication (`stats_disable_auth`).' : 'Needs a live session.',
        tags: ['Operations'],
        ...(rest.statsDisableAuth ? {} : { security: SESSION_SECURITY }),
        ok: { '200': reply('The counters.', negotiated(ref('Stats'))) },
        errors: [401, 404, 503],
      }),
    },
    '/healthz': {
      get: operation({
        operationId: 'healthz',
        omit: [406],
        summary: 'Liveness: 200 while the process serves requests',
        tags: ['Operations'],
        ok: { '200': reply('`{"status": "ok"}`.', json(ref('Health'))) },
      }),
    },
    '/readyz': {
      get: operation({
        operationId: 'readyz',
        omit: [406],
        summary:
          "Readiness: the master's event bus is connected and its request port answers (and the session cache, with `session_store: cache` on Redis)",
        tags: ['Operations'],
        ok: { '200': reply('`{"status": "ready"}`.', json(ref('Readiness'))) },
        ownErrors: { '503': reply('`{"status": "not ready", "reason": ...}`.', json(ref('Readiness'))) },
      }),
    },
    [rest.metricsPath]: {
      get: operation({
        operationId: 'metrics',
        omit: [406],
        summary: 'Prometheus metrics (`metrics_path`)',
        description: metricsAuth(rest),
        tags: ['Operations'],
        ...(rest.metricsDisableAuth ? {} : { security: metricsSecurity(rest) }),
        ok: {
          '200': reply("Prometheus' text exposition format.", {
            'text/plain': { schema: { type: 'string' } },
          }),
        },
        errors: [401, 503],
      }),
    },
    '/openapi.json': {
      get: operation({
        operationId: 'openapi',
        omit: [406],
        summary: 'This description, built from the running configuration',
        description:
          "No authentication. Without a live session (`X-Auth-Token` or the `session_id` cookie), `<webhook_url>` is described without this server's `webhooks` rules.",
        tags: ['Operations'],
        ok: { '200': reply('OpenAPI 3.1.', json({ type: 'object' })) },
      }),
    },
  };
}

const FILE = reply('The file.', {
  '*/*': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
});
const SUB_PATH = pathParameter('path', 'Anything below (may hold `/`).');

function fileOperation(operationId: string, summary: string, parameters: OpenApiObject[] = []): OpenApiObject {
  return operation({
    operationId,
    summary,
    tags: ['App'],
    parameters,
    omit: [405, 406],
    ok: { '200': FILE, '304': reply('Not modified.') },
    ownErrors: {
      '404': reply('No such file.'),
      '412': reply('Precondition failed.'),
      '416': reply('Range not satisfiable.'),
    },
  });
}

function appPaths(rest: RestSettings): Record<string, OpenApiObject> {
  const appPath = mountPath(rest.appPath);
  const page = (operationId: string, parameters: OpenApiObject[]): OpenApiObject =>
    operation({
      operationId,
      summary: rest.app === undefined ? 'A placeholder page (`app` is not set)' : 'The web app (`app`)',
      description: 'Every path below serves the same page (deep links of a single-page app).',
      tags: ['App'],
      parameters,
      omit: [406],
      ok: { '200': reply('The page.', { 'text/html': { schema: { type: 'string' } } }) },
    });
  const staticPath = mountPath(rest.staticPath);
  return {
    [appPath || '/']: { get: page('app', []) },
    [`${appPath}/{path}`]: { get: page('appDeepLink', [SUB_PATH]) },
    ...(rest.static !== undefined && {
      [`${staticPath}/{path}`]: { get: fileOperation('staticFile', 'A file of `static`', [SUB_PATH]) },
    }),
    ...(rest.favicon !== undefined && { '/favicon.ico': { get: fileOperation('favicon', 'The `favicon` file') } }),
  };
}

export function opsPaths(rest: RestSettings): Record<string, OpenApiObject> {
  return { ...operationsPaths(rest), ...appPaths(rest) };
}

function metricsAuth(rest: RestSettings): string {
  if (rest.metricsDisableAuth) return 'No authentication (`metrics_disable_auth`).';
  if (rest.metricsTokenFile === undefined) return 'Needs a live session.';
  return 'Needs a live session, or `Authorization: Bearer` with the token in `metrics_token_file`.';
}

function metricsSecurity(rest: RestSettings): OpenApiObject[] {
  return rest.metricsTokenFile === undefined ? SESSION_SECURITY : [...SESSION_SECURITY, { MetricsBearer: [] }];
}
