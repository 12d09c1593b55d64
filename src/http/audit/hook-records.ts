/**
 * `hook` records (docs/decisions/0030-audit-log.md): every delivery to `webhook_url` and to the
 * event hub's `/<event>/trigger`, fired or not — refused by the session gate, `allow_from`, its
 * signature or token check, acknowledged as a replay, or failed. The tag is written; the body, the
 * headers, signatures and secrets never are.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorStatus } from '../transport/errors.js';
import { failureOutcome, type AuditOutcome } from './audit-record.js';
import { auditValue, FIELD_LIMITS } from './audit-value.js';
import { presentedSecrets, tokenWho } from './chunk-fields.js';

/** The delivery as its route sees it: the tag it fires and the rule it falls under. */
export interface HookDelivery {
  tag: string;
  /** The `webhooks` rule's glob, or `event_hub`; absent for a path without a rule. */
  rule?: string;
  /** The check the delivery passes: the rule's `auth`, `salt` without a rule, `event_hub`. */
  auth: string;
}

export interface HookEnding {
  outcome: AuditOutcome;
  status: number;
  reason?: string;
}

export function auditHook(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  delivery: HookDelivery,
  end: HookEnding,
): void {
  const trail = app.audit;
  if (trail === undefined) return;
  trail.handled(request);
  const token = request.saltSession?.session?.token;
  trail.write(request, {
    kind: 'hook',
    ...tokenWho(token),
    tag: auditValue(delivery.tag, presentedSecrets(request), FIELD_LIMITS),
    ...(delivery.rule !== undefined && { rule: delivery.rule.slice(0, 256) }),
    auth: delivery.auth,
    outcome: end.outcome,
    status: end.status,
    ...(end.reason !== undefined && { reason: end.reason }),
    duration_ms: reply.elapsedTime,
  });
}

/**
 * The route options of a hook route: an `onError` hook that records a delivery that ended in an
 * error (a refusal before the body was read, a failed check, an event the bus did not take), unless
 * its record was already written (an answer `Accept` refused after the event fired). Nothing
 * without an audit log.
 */
export function auditsHookFailures(
  app: FastifyInstance,
  describe: (request: FastifyRequest) => HookDelivery,
): { onError?: (request: FastifyRequest, reply: FastifyReply, error: FastifyError) => Promise<void> } {
  const trail = app.audit;
  if (trail === undefined) return {};
  return {
    onError: async (request, reply, error) => {
      if (trail.isHandled(request)) return;
      const status = errorStatus(error);
      auditHook(app, request, reply, describe(request), { outcome: failureOutcome(status), status });
    },
  };
}
