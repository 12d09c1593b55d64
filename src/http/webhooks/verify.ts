import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretsEqual } from '../auth/secrets.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { WebhookRule } from '../../config/webhook-settings.js';

/**
 * Checks one webhook delivery against its rule, over the exact bytes received:
 * - `github`: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, delivery `X-GitHub-Delivery`;
 * - `gitea` (and Forgejo): `X-Gitea-Signature: <hex HMAC-SHA256>`, delivery `X-Gitea-Delivery`;
 * - `gitlab`: `X-Gitlab-Token: <secret>`, delivery `X-Gitlab-Event-UUID`;
 * - `token`: the rule's header holds the secret (`Authorization: Bearer <secret>` for Authorization).
 * Every comparison takes the same time whatever the inputs: digests are compared with
 * timingSafeEqual, and secrets of any length through an HMAC under a key of this process.
 */

export type Verification =
  { ok: true; deliveryId: string | undefined } | { ok: false; reason: string; deliveryId: string | undefined };

const DELIVERY_HEADERS: Partial<Record<WebhookRule['auth'], string>> = {
  github: 'x-github-delivery',
  gitea: 'x-gitea-delivery',
  gitlab: 'x-gitlab-event-uuid',
};

/** Delivery ids are short; anything else is not used as one. */
const DELIVERY_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

function signatureMatches(secret: Buffer, body: Buffer, presentedHex: string): boolean {
  const expected = createHmac('sha256', secret).update(body).digest();
  if (!/^[0-9a-fA-F]{64}$/.test(presentedHex)) return false;
  return timingSafeEqual(expected, Buffer.from(presentedHex, 'hex'));
}

export function deliveryIdOf(rule: WebhookRule, headers: IncomingHttpHeaders): string | undefined {
  const name = DELIVERY_HEADERS[rule.auth];
  const value = name === undefined ? undefined : header(headers, name);
  return value !== undefined && DELIVERY_ID.test(value) ? value : undefined;
}

export function verifyDelivery(rule: WebhookRule, body: Buffer, headers: IncomingHttpHeaders): Verification {
  const deliveryId = deliveryIdOf(rule, headers);
  const fail = (reason: string): Verification => ({ ok: false, reason, deliveryId });
  const secret = rule.secret?.bytes;
  if (secret === undefined) return { ok: true, deliveryId };
  switch (rule.auth) {
    case 'github': {
      const value = header(headers, 'x-hub-signature-256');
      if (value === undefined) return fail('no X-Hub-Signature-256 header');
      if (!value.startsWith('sha256=')) return fail('X-Hub-Signature-256 is not sha256=<hex>');
      return signatureMatches(secret, body, value.slice('sha256='.length))
        ? { ok: true, deliveryId }
        : fail('bad signature');
    }
    case 'gitea': {
      const value = header(headers, 'x-gitea-signature');
      if (value === undefined) return fail('no X-Gitea-Signature header');
      return signatureMatches(secret, body, value) ? { ok: true, deliveryId } : fail('bad signature');
    }
    case 'gitlab': {
      const value = header(headers, 'x-gitlab-token');
      if (value === undefined) return fail('no X-Gitlab-Token header');
      return secretsEqual(Buffer.from(value, 'utf8'), secret) ? { ok: true, deliveryId } : fail('wrong token');
    }
    case 'token': {
      const value = header(headers, rule.header);
      if (value === undefined) return fail(`no ${rule.header} header`);
      let presented = value;
      if (rule.header.toLowerCase() === 'authorization') {
        const bearer = /^Bearer[ \t]+(.+)$/i.exec(value);
        if (bearer === null) return fail('Authorization is not Bearer <token>');
        presented = bearer[1] ?? '';
      }
      return secretsEqual(Buffer.from(presented, 'utf8'), secret) ? { ok: true, deliveryId } : fail('wrong token');
    }
    default:
      return { ok: true, deliveryId };
  }
}
