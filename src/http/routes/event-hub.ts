/**
 * `POST <root_prefix>/<event>/trigger` (rest_cherrypy `event_hub`): salt-event-hub's API, so a
 * hubot or curl client written for it works by changing only the host. `X-AUTH-TOKEN` must hold
 * the configured token; the JSON object in the body is fired as the data of the tag `<event>`.
 * Answers are salt-event-hub's (Flask's) plain texts: `200 OK`, `401 Wrong X-AUTH-TOKEN`,
 * `400 Bad Request` (the body is not a JSON object, or the tag is not allowed).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { EventHubSettings } from '../../config/webhook-settings.js';
import { isSaltMap } from '../../salt/codec/values.js';
import { fnmatch } from '../../python/fnmatch.js';
import { hasControlChars, saltStamp } from '../webhooks/hook-event.js';
import { secretsEqual } from '../auth/secrets.js';
import { HttpError } from '../transport/errors.js';
import { auditHook, auditsHookFailures, type HookDelivery } from '../audit/hook-records.js';
import { failureOutcome } from '../audit/audit-record.js';

const TEXT = 'text/html; charset=utf-8';

/** Whether salt-event-hub's clients may fire `tag`: the allowed globs, else anything outside `salt/`. */
export function eventHubAllows(settings: EventHubSettings, tag: string): boolean {
  if (tag === '' || hasControlChars(tag)) return false;
  if (settings.allowedTags === undefined) return !tag.startsWith('salt/');
  return settings.allowedTags.some((glob) => fnmatch(tag, glob));
}

function plain(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type(TEXT).send(text);
}

function wrongToken(reply: FastifyReply): FastifyReply {
  return plain(reply.header('Authenticate', 'Basic realm="Proper Token Required"'), 401, 'Wrong X-AUTH-TOKEN');
}

/** A trigger as the audit log names it: the tag it asks to fire, under the event hub's token check. */
function describeTrigger(request: FastifyRequest): HookDelivery {
  const { event } = request.params as { event?: string };
  return { tag: event ?? '', rule: 'event_hub', auth: 'event_hub' };
}

export async function eventHubRoutes(app: FastifyInstance): Promise<void> {
  const settings = app.settings.rest.eventHub;
  if (settings === undefined) return;
  /** salt-event-hub's plain answer, and its audit record. */
  const answer = (request: FastifyRequest, reply: FastifyReply, status: number, text: string): FastifyReply => {
    const outcome = status === 200 ? 'ran' : failureOutcome(status);
    auditHook(app, request, reply, describeTrigger(request), { outcome, status });
    return status === 401 ? wrongToken(reply) : plain(reply, status, text);
  };

  app.post<{ Params: { event: string } }>(
    '/:event/trigger',
    {
      ...auditsHookFailures(app, describeTrigger),
      // The token before the body: a caller without it learns nothing, not even "bad JSON".
      onRequest: async (request: FastifyRequest, reply: FastifyReply) => {
        const presented = request.headers['x-auth-token'];
        const value = Array.isArray(presented) ? presented[0] : presented;
        if (value === undefined || !secretsEqual(value, settings.token.bytes)) {
          return answer(request, reply, 401, '');
        }
        return undefined;
      },
      // Flask answers a body it cannot read with its own 400; server-side failures stay salt-apid's.
      errorHandler: (error: FastifyError | HttpError, _request, reply) => {
        const status = error instanceof HttpError ? error.status : (error.statusCode ?? 500);
        if (status < 400 || status >= 500 || status === 413) throw error;
        void plain(reply, 400, 'Bad Request');
      },
    },
    async (request, reply) => {
      const tag = request.params.event;
      const body: unknown = request.body;
      // Flask's request.get_json(): a JSON media type, holding an object.
      const json = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(request.headers['content-type'] ?? '');
      if (!json || !isSaltMap(body) || !eventHubAllows(settings, tag))
        return answer(request, reply, 400, 'Bad Request');
      await app.events.fire(tag, { ...body, _stamp: saltStamp(new Date()) });
      return answer(request, reply, 200, 'OK');
    },
  );
}
