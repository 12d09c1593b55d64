/**
 * rest_cherrypy's own routes: `/`, `/login`, `/logout`, `/token`, `/run`, `/minions`, `/jobs` and
 * `/keys`. Without `enable_sessions` the session routes (`/login`, `/logout`, `/minions`, `/jobs`)
 * are not mounted, and not described.
 */
import type { RestSettings } from '../../config/types.js';
import {
  CREDENTIALS_BODY,
  LOWSTATE_BODY,
  LOWSTATE_ERRORS,
  SESSION_SECURITY,
  negotiated,
  operation,
  pathParameter,
  queryParameter,
  reply,
} from './operation.js';
import { ref, type OpenApiObject } from './schemas.js';

const welcome = (path: string): OpenApiObject =>
  operation({
    operationId: `welcome${path === '/' ? '' : path.replace('/', '_')}`,
    summary: 'The welcome document: the netapi client names',
    description: 'Takes no query parameters (any is a 404).',
    tags: ['Lowstate'],
    ok: { '200': reply('Welcome.', negotiated(ref('Welcome'))) },
    errors: [404],
  });

const RETURN = reply('`{"return": [...]}`: one entry per chunk result, in order.', negotiated(ref('ReturnEnvelope')));

function lowstatePaths(): Record<string, OpenApiObject> {
  return {
    '/': {
      get: welcome('/'),
      post: operation({
        operationId: 'runWithSession',
        summary: "Run lowstate with the session's Salt token",
        description: "Every chunk runs with the session's token, whatever token it names itself.",
        tags: ['Lowstate'],
        security: SESSION_SECURITY,
        requestBody: LOWSTATE_BODY,
        ok: { '200': RETURN },
        errors: LOWSTATE_ERRORS,
      }),
    },
    '/run': {
      get: welcome('/run'),
      post: operation({
        operationId: 'run',
        summary: 'Run lowstate without a session',
        description:
          'Each chunk carries its own credentials: `token`, or `username`/`password`/`eauth`. `X-Auth-Token` and cookies are not looked at.',
        tags: ['Lowstate'],
        requestBody: LOWSTATE_BODY,
        ok: { '200': RETURN },
        errors: LOWSTATE_ERRORS,
      }),
    },
    '/token': {
      get: welcome('/token'),
      post: operation({
        operationId: 'mkToken',
        summary: 'Mint Salt tokens for eauth credentials',
        description:
          'Each credential set (a mapping or a list of them) becomes a `runner` call of `auth.mk_token`. The reply is a bare list, without the `return` envelope.',
        tags: ['Sessions'],
        requestBody: CREDENTIALS_BODY,
        ok: {
          '200': reply('One token record per credential set.', negotiated({ type: 'array', items: ref('SaltValue') })),
        },
        errors: LOWSTATE_ERRORS,
      }),
    },
  };
}

function sessionPaths(): Record<string, OpenApiObject> {
  return {
    '/login': {
      get: operation({
        operationId: 'loginPrompt',
        summary: 'Ask for a login',
        description: 'Answers `WWW-Authenticate: Session`.',
        tags: ['Sessions'],
        ok: { '200': reply('`{"status": null, "return": "Please log in"}`.', negotiated({ type: 'object' })) },
        errors: [404],
      }),
      post: operation({
        operationId: 'login',
        summary: 'Start a session with eauth credentials',
        description:
          'The master mints a Salt token; the answer holds a new session id (also in `X-Auth-Token` and the `session_id` cookie). Repeated failures for a user and address are throttled (429).',
        tags: ['Sessions'],
        requestBody: CREDENTIALS_BODY,
        ok: {
          '200': reply('The session.', negotiated(ref('LoginReply')), {
            'X-Auth-Token': { description: 'The session id.', schema: { type: 'string' } },
            'Set-Cookie': { description: '`session_id=<id>`.', schema: { type: 'string' } },
          }),
        },
        errors: [400, 401, 406, 411, 413, 429, 503],
      }),
    },
    '/logout': {
      post: operation({
        operationId: 'logout',
        summary: 'End the session',
        description: 'The session is destroyed; the Salt token stays valid on the master until it expires.',
        tags: ['Sessions'],
        security: SESSION_SECURITY,
        ok: { '200': reply('`{"return": "Your token has been cleared"}`.', negotiated({ type: 'object' })) },
        errors: [401, 411, 413],
      }),
    },
  };
}

const MID = pathParameter('mid', 'A minion id.');

function minionsPaths(): Record<string, OpenApiObject> {
  const grains = (operationId: string, parameters: OpenApiObject[]): OpenApiObject =>
    operation({
      operationId,
      summary: "The targeted minions' grains (`grains.items`)",
      tags: ['Minions and jobs'],
      security: SESSION_SECURITY,
      parameters,
      ok: { '200': RETURN },
      errors: [401, 404, 503, 504],
    });
  return {
    '/minions': {
      get: grains('listMinions', [queryParameter('mid', 'A target (glob); `*` when absent.')]),
      post: operation({
        operationId: 'startJobs',
        summary: 'Start jobs without waiting (`local_async`)',
        description: 'Every chunk runs as `client: local_async`; the reply links to each job.',
        tags: ['Minions and jobs'],
        security: SESSION_SECURITY,
        requestBody: LOWSTATE_BODY,
        ok: { '202': reply('Jobs started.', negotiated(ref('JobsStarted'))) },
        errors: LOWSTATE_ERRORS,
      }),
    },
    '/minions/{mid}': { parameters: [MID], get: grains('getMinion', []) },
  };
}

function jobsPaths(): Record<string, OpenApiObject> {
  const JID = pathParameter('jid', 'A job id.');
  const job = (operationId: string, parameters: OpenApiObject[]): OpenApiObject =>
    operation({
      operationId,
      summary: "A job from the job cache (`jobs.list_job`): `info` and each minion's `return`",
      tags: ['Minions and jobs'],
      security: SESSION_SECURITY,
      parameters,
      ok: { '200': reply('The job.', negotiated(ref('JobReply'))) },
      errors: [401, 404, 503, 504],
    });
  return {
    '/jobs': {
      get: operation({
        operationId: 'listJobs',
        summary: 'The job cache (`jobs.list_jobs`), or one job with `?jid=`',
        tags: ['Minions and jobs'],
        security: SESSION_SECURITY,
        parameters: [queryParameter('jid', 'A job id.'), queryParameter('timeout', 'Accepted and not used.')],
        ok: { '200': RETURN },
        errors: [401, 404, 503, 504],
      }),
      post: operation({
        operationId: 'runJobsLowstate',
        summary: "Run lowstate with the session's Salt token (as `POST /`)",
        tags: ['Minions and jobs'],
        security: SESSION_SECURITY,
        requestBody: LOWSTATE_BODY,
        ok: { '200': RETURN },
        errors: LOWSTATE_ERRORS,
      }),
    },
    '/jobs/{jid}': { parameters: [JID], get: job('getJob', []) },
    '/jobs/{jid}/{timeout}': {
      parameters: [JID, pathParameter('timeout', 'Accepted and not used (as in salt-api).')],
      get: job('getJobWithTimeout', []),
    },
  };
}

function keysPaths(): Record<string, OpenApiObject> {
  const keys = (operationId: string, summary: string, parameters: OpenApiObject[]): OpenApiObject =>
    operation({
      operationId,
      summary,
      description: "Runs with the session's Salt token when there is one; without, the master refuses (401).",
      tags: ['Keys'],
      security: [...SESSION_SECURITY, {}],
      parameters,
      ok: { '200': reply('The wheel function\'s `return`, as `{"return": ...}`.', negotiated({ type: 'object' })) },
      errors: [401, 404, 503],
    });
  return {
    '/keys': {
      get: keys('listKeys', "The key lists (`key.list_all`), or one key's fingerprint with `?mid=`", [
        queryParameter('mid', 'A minion id.'),
      ]),
      post: operation({
        operationId: 'generateKeys',
        summary: 'Generate and pre-accept a key pair (`key.gen_accept`)',
        description:
          'The first chunk names the minion (`mid`) and carries credentials (`username`/`password`/`eauth` or `token`); the answer is a tar archive of `minion.pub` and `minion.pem`.',
        tags: ['Keys'],
        requestBody: LOWSTATE_BODY,
        ok: {
          '200': reply(
            'The key pair.',
            { 'application/x-tar': { schema: { type: 'string', contentMediaType: 'application/x-tar' } } },
            {
              'Content-Disposition': {
                description: '`attachment; filename="saltkeys-<mid>.tar"`.',
                schema: { type: 'string' },
              },
            },
          ),
        },
        errors: LOWSTATE_ERRORS,
      }),
    },
    '/keys/{mid}': { parameters: [MID], get: keys('getKey', "One key's fingerprint (`key.finger`)", []) },
  };
}

export function saltPaths(rest: RestSettings): Record<string, OpenApiObject> {
  return {
    ...lowstatePaths(),
    ...keysPaths(),
    ...(rest.enableSessions && { ...sessionPaths(), ...minionsPaths(), ...jobsPaths() }),
  };
}
