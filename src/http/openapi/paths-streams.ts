/**
 * The event streams (`/events`, `/ws`, rest_tornado's `/all_events` and `/formatted_events`) and
 * the routes that fire events (`<webhook_url>`, `event_hub`'s `/<event>/trigger`).
 */
import type { Settings } from '../../config/types.js';
import { mountPath } from '../transport/paths.js';
import { saltTokenLength, saltTokenPattern } from '../../salt/token-shape.js';
import {
  BODY_ERRORS,
  SESSION_SECURITY,
  negotiated,
  operation,
  pathParameter,
  queryParameter,
  reply,
} from './operation.js';
import { ref, type OpenApiObject } from './schemas.js';

const TAG = {
  ...queryParameter(
    'tag',
    'Only events whose tag matches one of these globs (repeatable; at most 32 of 256 characters; a tag over 2,048 characters matches none).',
    {
      type: 'array',
      items: { type: 'string' },
      maxItems: 32,
    },
  ),
  style: 'form',
  explode: true,
};

const UPGRADE = {
  name: 'Upgrade',
  in: 'header',
  required: true,
  description:
    'A WebSocket handshake (`Upgrade: websocket`, `Connection: Upgrade`, `Sec-WebSocket-*`). A plain GET is a 400.',
  schema: { const: 'websocket' },
};

const SWITCHING = { '101': reply('The WebSocket is open: events arrive as text frames.') };

function eventsPaths(settings: Settings): Record<string, OpenApiObject> {
  const urlTokens = settings.rest.eventsUrlTokens;
  const parameters = [
    ...(urlTokens
      ? [
          queryParameter('token', 'A session id or Salt token.'),
          queryParameter('salt_token', 'A session id or Salt token.'),
        ]
      : []),
    TAG,
    {
      name: 'Last-Event-ID',
      in: 'header',
      required: false,
      description:
        'With `events_ids`: resume after this event id (missed events are replayed, or an `event: gap` block says what was lost).',
      schema: { type: 'string' },
    },
  ];
  const stream = (operationId: string, extra: OpenApiObject[], note: string): OpenApiObject =>
    operation({
      operationId,
      summary: 'Every event of the master bus as Server-Sent Events',
      description: `${note} Blocks are \`tag: <tag>\` and \`data: {"data": ..., "tag": ...}\`, \`: keepalive\` comments every 15 s; the stream ends when the token expires or the session logs out.`,
      tags: ['Events'],
      security: SESSION_SECURITY,
      parameters: [...extra, ...parameters],
      ok: {
        '200': reply('The event stream.', {
          'text/event-stream': { schema: { type: 'string', description: 'SSE blocks, after `retry: 400`.' } },
        }),
      },
      errors: [400, 401, 404, 429, 503],
      omit: [406],
    });
  const tokenNote = urlTokens
    ? 'The token: the path, `?token=`, `?salt_token=`, `X-Auth-Token`, then the cookie; a session id or a Salt token.'
    : 'URL tokens are off (`events_url_tokens: false`): any query but `tag` is a 400, the path form a 404.';
  return {
    '/events': { get: stream('events', [], tokenNote) },
    '/events/{token}': {
      get: stream('eventsWithToken', [pathParameter('token', 'A session id or Salt token.')], tokenNote),
    },
  };
}

function wsPaths(settings: Settings): Record<string, OpenApiObject> {
  const socket = (
    operationId: string,
    summary: string,
    description: string,
    parameters: OpenApiObject[],
  ): OpenApiObject =>
    operation({
      operationId,
      summary,
      description: `${description} A handshake with an \`Origin\` outside \`cors_origin\` (the server's own origin when unset) is a 403.`,
      tags: ['Events'],
      parameters: [UPGRADE, ...parameters],
      ok: SWITCHING,
      errors: [400, 401, 429, 503],
      omit: [406],
    });
  const cherry = (operationId: string, extra: OpenApiObject[]): OpenApiObject => ({
    ...socket(
      operationId,
      'The event bus over a WebSocket (rest_cherrypy)',
      'Events flow after the client sends `websocket client ready`; each is `data: <json>` in one frame, or the formatted jobs/minions view with `?format_events`. The session: the path or `?token=` (a session id), else the header or cookie.',
      [
        ...extra,
        queryParameter('token', 'A session id.'),
        { ...queryParameter('format_events', 'Present: the formatted view.'), allowEmptyValue: true },
        TAG,
      ],
    ),
    security: [...SESSION_SECURITY, {}],
  });
  const pattern = `^${saltTokenPattern(saltTokenLength(settings.master.hashType))}$`;
  const saltToken = pathParameter('token', 'A Salt token; anything else is not this route (404).', {
    type: 'string',
    pattern,
  });
  return {
    '/ws': { get: cherry('ws', []) },
    '/ws/{token}': { get: cherry('wsWithToken', [pathParameter('token', 'A session id.')]) },
    '/all_events/{token}': {
      get: socket(
        'allEvents',
        'Every event as JSON frames (rest_tornado)',
        'One `{"tag", "data"}` JSON frame per event.',
        [saltToken, TAG],
      ),
    },
    '/formatted_events/{token}': {
      get: socket(
        'formattedEvents',
        'The formatted jobs/minions view (rest_tornado)',
        'Grains and jobs as rest_tornado formats them.',
        [saltToken, TAG],
      ),
    },
  };
}

const WEBHOOK_AUTH_TEXT: Record<string, string> = {
  salt: 'a session, as without a rule',
  none: 'no check',
  token: "the rule's header holds the secret (`Authorization: Bearer <secret>` for Authorization)",
  github: '`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the body>`, delivery id `X-GitHub-Delivery`',
  gitea: '`X-Gitea-Signature: <HMAC-SHA256 of the body>`, delivery id `X-Gitea-Delivery`',
  gitlab: '`X-Gitlab-Token: <secret>`, delivery id `X-Gitlab-Event-UUID`',
};

const HOOK_FIRES =
  'Fires `salt/netapi/hook/<path>` with `body`, `post`, `headers` (credential headers left out) and `_stamp`.';
const REPLAYED =
  "on `github`, `gitea` and `gitlab` rules, the same body delivered again within the rule's `replay_window` (whatever its delivery id) is answered 200 and not fired";

/**
 * What `/openapi.json` tells a caller without credentials about the hook: the same for every
 * configuration, so that it names no rule path, no check (or lack of one) and no address.
 */
const PUBLIC_HOOK_DESCRIPTION = `${HOOK_FIRES} A session (\`X-Auth-Token\` or the \`session_id\` cookie), unless the server's configuration says otherwise for a path (\`webhook_disable_auth\`, or a \`webhooks\` rule that checks a signature or token over the exact bytes received instead: 401 envelope when unverified, 403 from an address the rule does not allow, and ${REPLAYED}). This server's rules are described to a caller with a session.`;

function hookDescription(settings: Settings): string {
  const { webhookDisableAuth, webhooks } = settings.rest;
  const base = `${HOOK_FIRES} ${webhookDisableAuth ? 'No authentication (`webhook_disable_auth`).' : 'A session (`X-Auth-Token` or the `session_id` cookie).'}`;
  if (webhooks.length === 0) return base;
  const rules = webhooks.map((rule) => `\`${rule.path}\`: ${WEBHOOK_AUTH_TEXT[rule.auth] ?? rule.auth}`).join('; ');
  return `${base} Paths matching a \`webhooks\` rule (first match wins) are checked by that rule instead, over the exact bytes received (401 envelope when unverified; 403 outside \`allow_from\`; ${REPLAYED}): ${rules}.`;
}

/** Who the document is for: `public` (no credentials) names none of the deployment's webhook rules. */
export type OpenApiAudience = 'public' | 'full';

function hookPaths(settings: Settings, audience: OpenApiAudience): Record<string, OpenApiObject> {
  const { webhookUrl, webhookDisableAuth } = settings.rest;
  const base = mountPath(webhookUrl);
  const open = audience === 'full' && webhookDisableAuth;
  const hook = (operationId: string, parameters: OpenApiObject[]): OpenApiObject =>
    operation({
      operationId,
      summary: 'Fire an event for the reactor',
      description: audience === 'full' ? hookDescription(settings) : PUBLIC_HOOK_DESCRIPTION,
      tags: ['Webhooks'],
      // Public: a session, or (on paths the configuration opens or checks otherwise) none of it.
      ...(open ? {} : { security: audience === 'full' ? SESSION_SECURITY : [...SESSION_SECURITY, {}] }),
      parameters,
      requestBody: {
        description: 'Any body of a supported type; it is fired as text (`body`) and parsed (`post`).',
        content: {
          'application/json': { schema: {} },
          'application/x-yaml': { schema: {} },
          'text/yaml': { schema: {} },
          'application/x-www-form-urlencoded': { schema: { type: 'object' } },
          'text/plain': { schema: { type: 'string' } },
        },
      },
      ok: { '200': reply('`{"success": true}`.', negotiated(ref('HookReply'))) },
      errors: [...BODY_ERRORS, 401, 503],
    });
  return {
    [base || '/']: { post: hook('hook', []) },
    [`${base}/{path}`]: {
      post: hook('hookPath', [
        pathParameter('path', 'The tag suffix (may hold `/`; decoded, empty segments dropped).'),
      ]),
    },
  };
}

function eventHubPaths(settings: Settings): Record<string, OpenApiObject> {
  if (settings.rest.eventHub === undefined) return {};
  const text = (description: string, example: string): OpenApiObject =>
    reply(description, { 'text/html': { schema: { type: 'string', examples: [example] } } });
  return {
    '/{event}/trigger': {
      post: operation({
        operationId: 'eventHubTrigger',
        summary: "Fire an event, as salt-event-hub's API (`event_hub`)",
        description:
          "The JSON object in the body is fired as the data of tag `<event>` (which `allowed_tags` must allow; by default, anything outside `salt/`). An event named like one of salt-apid's own routes is answered by that route instead.",
        tags: ['Webhooks'],
        security: [{ EventHubToken: [] }],
        parameters: [pathParameter('event', 'The event tag.')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        ok: { '200': text('Fired.', 'OK') },
        // Its own error handler answers every other 4xx but 413 with the plain `Bad Request`.
        errors: [413, 503],
        omit: [403, 405, 406],
        ownErrors: {
          '400': text('The body is not a JSON object sent as JSON, or the tag is not allowed.', 'Bad Request'),
          '401': reply('Wrong token (`Authenticate: Basic realm="Proper Token Required"`).', {
            'text/html': { schema: { type: 'string', examples: ['Wrong X-AUTH-TOKEN'] } },
          }),
        },
      }),
    },
  };
}

export function streamPaths(settings: Settings, audience: OpenApiAudience): Record<string, OpenApiObject> {
  return {
    ...eventsPaths(settings),
    ...wsPaths(settings),
    ...hookPaths(settings, audience),
    ...eventHubPaths(settings),
  };
}
