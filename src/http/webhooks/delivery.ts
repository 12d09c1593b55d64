import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { WebhookAuth } from '../../config/webhook-settings.js';
import { HttpError } from '../transport/errors.js';
import { pathOf } from '../transport/paths.js';
import { readBodyBytes, type MatchedRule, type VerifiedMark, type WebhookGate } from './gate.js';
import { verifyDelivery } from './verify.js';

/**
 * The request side of the `webhooks` rules on `/hook`: before the body is parsed, the sender's
 * address (`allow_from`) and then the signature or token over the exact bytes received. What the
 * handler needs afterwards (the rule, the delivery id) is kept per request.
 */

const VERIFYING: ReadonlySet<WebhookAuth> = new Set(['token', 'github', 'gitea', 'gitlab']);
/**
 * The kinds whose deliveries are unique by nature (a CI event), so that the same body twice is a
 * replay: `replay_window` applies to them. `token` rules (a script's call, which may well send
 * the same body twice) have none, as before.
 */
const REPLAY_CHECKED: ReadonlySet<WebhookAuth> = new Set(['github', 'gitea', 'gitlab']);

export interface Delivery {
  matched: MatchedRule;
  /** The sender's delivery id header: informative only (logs, `verified.delivery`), never trusted. */
  deliveryId: string | undefined;
  /**
   * What `replay_window` remembers: the SHA-256 of the verified body, which is what the signature
   * covers (GitHub and Gitea sign no timestamp, and the delivery id header is not signed, so a
   * replay with another id or none is still the same signed body). Undefined: no replay check.
   */
  replayKey: string | undefined;
}

export interface DeliveryChecks {
  /** The rule of a request, once `onRequest` found one that is not `salt`. */
  deliveryOf(request: FastifyRequest): Delivery | undefined;
  onRequest(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  preParsing(request: FastifyRequest, reply: FastifyReply, payload: Readable): Promise<Readable>;
  /** The event's `verified` field for a verified delivery; undefined otherwise. */
  verifiedMark(delivery: Delivery | undefined): VerifiedMark | undefined;
}

export interface DeliveryCheckOptions {
  gate: WebhookGate;
  /** The decoded path after `webhook_url`, without leading or trailing slashes. */
  subPathOf: (request: FastifyRequest) => string;
  /** salt-api's own check (session or token), for paths without a rule or with `auth: salt`. */
  saltAuth: ((request: FastifyRequest, reply: FastifyReply) => Promise<void>) | undefined;
  maxBodyBytes: number;
}

export function deliveryChecks(options: DeliveryCheckOptions): DeliveryChecks {
  const { gate } = options;
  const deliveries = new WeakMap<FastifyRequest, Delivery>();
  const details = (request: FastifyRequest, reason: string, deliveryId?: string) => ({
    path: pathOf(request.url),
    reason,
    deliveryId,
    address: request.socket.remoteAddress ?? '',
  });

  return {
    deliveryOf: (request) => deliveries.get(request),

    async onRequest(request, reply) {
      const matched = gate.ruleFor(options.subPathOf(request));
      if (matched === undefined || matched.rule.auth === 'salt') {
        await options.saltAuth?.(request, reply);
        return;
      }
      if (!gate.addressAllowed(matched.rule, request.socket.remoteAddress ?? '')) {
        gate.refuse(matched, 'forbidden', details(request, 'address outside allow_from'));
        throw new HttpError(403, 'This address may not deliver to this webhook.', { shape: 'envelope' });
      }
      deliveries.set(request, { matched, deliveryId: undefined, replayKey: undefined });
    },

    async preParsing(request, _reply, payload) {
      const delivery = deliveries.get(request);
      if (delivery === undefined || !VERIFYING.has(delivery.matched.rule.auth)) return payload;
      // The signature covers the bytes as sent; a body salt-apid would not read (chunked, or over
      // max_request_body_size: 413 follows) is verified as empty and so fails.
      const declared = Number(request.headers['content-length']);
      let bytes: Buffer = Buffer.alloc(0);
      let body: Readable = payload;
      if (Number.isInteger(declared) && declared > 0 && declared <= options.maxBodyBytes) {
        bytes = await readBodyBytes(payload, declared);
        body = Readable.from([bytes]);
      }
      const verification = verifyDelivery(delivery.matched.rule, bytes, request.headers);
      delivery.deliveryId = verification.deliveryId;
      if (!verification.ok) {
        gate.refuse(delivery.matched, 'rejected', details(request, verification.reason, verification.deliveryId));
        throw new HttpError(401, 'The webhook delivery could not be verified.', { shape: 'envelope' });
      }
      if (REPLAY_CHECKED.has(delivery.matched.rule.auth)) {
        delivery.replayKey = createHash('sha256').update(bytes).digest('hex');
      }
      return body;
    },

    verifiedMark(delivery) {
      if (delivery === undefined || !VERIFYING.has(delivery.matched.rule.auth)) return undefined;
      return { auth: delivery.matched.rule.auth, delivery: delivery.deliveryId ?? null };
    },
  };
}
