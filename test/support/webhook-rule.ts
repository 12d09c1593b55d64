import type { WebhookRule } from '../../src/config/webhook-settings.js';

/**
 * A `webhooks` rule as the config reader makes it: no secret, the `Authorization` header, no
 * `allow_from`, a 300 s replay window, unless `extra` says otherwise.
 */
export function webhookRule(path: string, auth: WebhookRule['auth'], extra: Partial<WebhookRule> = {}): WebhookRule {
  return {
    path,
    auth,
    secret: undefined,
    header: 'Authorization',
    allowFrom: undefined,
    allowFromText: [],
    replayWindow: 300,
    ...extra,
  };
}
