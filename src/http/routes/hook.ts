/**
 * `POST <webhook_url>[/<any/path>]` (docs/routes.md "POST /hook"): fires `salt/netapi/hook/<path>`
 * on the master bus with the body, the parsed body and the request headers, for Salt's reactor.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap } from '../../salt/codec/values.js';
import { HttpError } from '../errors.js';
import { hasControlChars, hookEvent } from '../hook-event.js';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';
import { mountPath, pathOf } from '../paths.js';

const HOOK_METHODS = ['POST'] as const;
const CONTROL_CHARS_REFUSED = 'The hook path must not contain control characters.';

/** salt-api's lowstate formatting wraps a mapping's scalar `arg` in place; hook data shows it. */
function withListArg(body: unknown): unknown {
  if (!isSaltMap(body) || !('arg' in body) || Array.isArray(body['arg'])) return body;
  return { ...body, arg: [body['arg']] };
}

export async function hookRoutes(app: FastifyInstance): Promise<void> {
  const { webhookUrl, webhookDisableAuth } = app.settings.rest;
  const base = webhookUrl === '/' ? '' : webhookUrl.replace(/\/+$/, '');
  // The route is registered under root_prefix; the tag takes only what follows the hook URL.
  const mounted = mountPath(app.settings.rest.rootPrefix);

  async function hook(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const path = pathOf(request.url);
    const { tag, data } = hookEvent({
      subPath: path.slice(mounted.length + base.length),
      rawBody: request.rawBody,
      parsedBody: withListArg(request.body),
      rawHeaders: request.raw.rawHeaders,
      remoteAddress: request.socket.remoteAddress ?? '',
    });
    // A CR or LF in the tag would forge lines in every event stream; refuse before firing anything.
    if (hasControlChars(tag)) throw new HttpError(400, CONTROL_CHARS_REFUSED, { shape: 'envelope' });
    await app.events.fire(tag, data);
    return reply.sendSalt({ success: true });
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, HOOK_METHODS);
    const onRequest = webhookDisableAuth ? [] : [app.authGate];
    for (const url of [base || '/', `${base}/*`]) {
      scope.post(url, { onRequest }, hook);
      rejectOtherMethods(scope, url, [...HOOK_METHODS]);
    }
  });
}
