/**
 * `POST <webhook_url>[/<any/path>]` (docs/routes.md "POST /hook"): fires `salt/netapi/hook/<path>`
 * on the master bus with the body, the parsed body and the request headers, for Salt's reactor.
 * Paths under a `webhooks` rule are checked by that rule instead (webhooks/delivery.ts).
 */
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isSaltMap } from '../../salt/codec/values.js';
import { HttpError } from '../transport/errors.js';
import { HOOK_TAG, hasControlChars, hookEvent, hookTag } from '../webhooks/hook-event.js';
import { rejectOtherMethods, sendAllow } from './methods.js';
import { sessionScope } from './session-scope.js';
import { mountPath, pathOf } from '../transport/paths.js';
import { deliveryChecks } from '../webhooks/delivery.js';
import { auditHook, auditsHookFailures, type HookDelivery } from '../audit/hook-records.js';

const HOOK_METHODS = ['POST'] as const;
const CONTROL_CHARS_REFUSED = 'The hook path must not contain control characters.';

/** salt-api's lowstate formatting wraps a mapping's scalar `arg` in place; hook data shows it. */
function withListArg(body: unknown): unknown {
  if (!isSaltMap(body) || !('arg' in body) || Array.isArray(body['arg'])) return body;
  return { ...body, arg: [body['arg']] };
}

export async function hookRoutes(app: FastifyInstance): Promise<void> {
  const { webhookUrl, webhookDisableAuth, maxRequestBodySize } = app.settings.rest;
  const base = webhookUrl === '/' ? '' : webhookUrl.replace(/\/+$/, '');
  // The route is registered under root_prefix; the tag takes only what follows the hook URL.
  const mounted = mountPath(app.settings.rest.rootPrefix);
  const rawSubPath = (request: FastifyRequest): string => pathOf(request.url).slice(mounted.length + base.length);
  const gate = app.webhooks;
  const subPathOf = (request: FastifyRequest): string => hookTag(rawSubPath(request)).slice(HOOK_TAG.length + 1);
  const checks = deliveryChecks({
    gate,
    subPathOf,
    saltAuth: webhookDisableAuth ? undefined : app.authGate,
    maxBodyBytes: maxRequestBodySize,
  });
  /** The delivery as the audit log names it: its tag, and the rule and check it falls under. */
  const describeDelivery = (request: FastifyRequest): HookDelivery => {
    const rule = gate.ruleFor(subPathOf(request))?.rule;
    const tag = hookTag(rawSubPath(request));
    if (rule !== undefined) return { tag, rule: rule.path, auth: rule.auth };
    return { tag, auth: webhookDisableAuth ? 'none' : 'salt' };
  };

  async function hook(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { tag, data } = hookEvent({
      subPath: rawSubPath(request),
      rawBody: request.rawBody,
      parsedBody: withListArg(request.body),
      rawHeaders: request.raw.rawHeaders,
      remoteAddress: request.socket.remoteAddress ?? '',
    });
    // A CR or LF in the tag would forge lines in every event stream; refuse before firing anything.
    if (hasControlChars(tag)) throw new HttpError(400, CONTROL_CHARS_REFUSED, { shape: 'envelope' });
    const delivery = checks.deliveryOf(request);
    const verified = checks.verifiedMark(delivery);
    if (delivery === undefined) {
      await app.events.fire(tag, data);
      gate.countAs(webhookUrl, 'fired');
      auditHook(app, request, reply, describeDelivery(request), { outcome: 'ran', status: 200 });
      return reply.sendSalt({ success: true });
    }
    if (!gate.claim(delivery.matched, delivery.replayKey)) {
      gate.count(delivery.matched.rule, 'replayed');
      request.log.info({ tag, delivery: delivery.deliveryId }, 'webhook delivery seen before: acknowledged, not fired');
      const replayed = { outcome: 'refused', status: 200, reason: 'replayed' } as const;
      auditHook(app, request, reply, describeDelivery(request), replayed);
      return reply.sendSalt({ success: true });
    }
    try {
      await app.events.fire(tag, verified === undefined ? data : { ...data, verified: { ...verified } });
    } catch (error) {
      gate.release(delivery.matched, delivery.replayKey);
      throw error;
    }
    gate.count(delivery.matched.rule, 'fired');
    auditHook(app, request, reply, describeDelivery(request), { outcome: 'ran', status: 200 });
    return reply.sendSalt({ success: true });
  }

  await sessionScope(app, (scope) => {
    sendAllow(scope, HOOK_METHODS);
    const hooks = {
      onRequest: (request: FastifyRequest, reply: FastifyReply) => checks.onRequest(request, reply),
      preParsing: (request: FastifyRequest, reply: FastifyReply, payload: Readable) =>
        checks.preParsing(request, reply, payload),
    };
    const audited = { ...hooks, ...auditsHookFailures(app, describeDelivery) };
    for (const url of [base || '/', `${base}/*`]) {
      scope.post(url, audited, hook);
      // The hook's check (salt_auth, or the path's rule) covers every method, as salt_auth does.
      rejectOtherMethods(scope, url, [...HOOK_METHODS], { gate: hooks.onRequest, lengthRule: 'put-patch' });
    }
  });
}
